"""Bodies: the contract's Markdown to Jira's Atlassian Document Format (ADF) on write, and back on read.

Jira's REST v3 stores a description as an ADF document, not as the Markdown it was given, so a body comes back
in whatever Markdown this module writes for that document. Three rules make that safe for a sync:

* :func:`markdown_to_adf` parses CommonMark (markdown-it-py, with GitHub's ``~~strike~~``) into the ADF nodes a
  plan body needs: paragraphs, headings, bullet, ordered and task lists (``* [ ] KEY title``), code blocks,
  quotes, rules, and the marks strong, em, code, strike and link. A line break inside a paragraph stays a line
  break (ADF ``hardBreak``), so PlanPilot's metadata block survives as the plain lines discovery parses and
  Jira's search indexes. What ADF cannot hold in a place (a heading inside a list item, raw HTML) becomes
  the nearest thing it can (a paragraph, the literal text).
* :func:`adf_to_markdown` writes one Markdown spelling for each document (``*`` bullets, ``**strong**``,
  ``*em*``, fenced code), escaping only what would otherwise parse as markup, and ignores attributes Jira adds
  on its own (``localId``) and nodes a plan never writes (their text is kept).
* :func:`canonical_markdown` is Markdown -> ADF -> Markdown until it no longer changes: the form a sync compares
  in (``Provider.canonical_body``). A plan body and the body read back from the ADF written for it reach the
  same form, so an unchanged re-sync writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import Any, Final

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

__all__ = ["adf_size", "adf_text", "adf_to_markdown", "canonical_markdown", "markdown_to_adf"]

Node = dict[str, Any]
Mark = dict[str, Any]

_MARK_ORDER: Final = ("link", "strong", "em", "strike", "code")
"""The order marks are opened in when Markdown is written (the outermost first)."""
_LIST_ITEM_BLOCKS: Final = frozenset({"paragraph", "bulletList", "orderedList", "taskList", "codeBlock"})
_QUOTE_BLOCKS: Final = frozenset({"paragraph", "bulletList", "orderedList", "codeBlock"})
_TASK: Final = re.compile(r"\[([ xX])\] ")
_CANONICAL_ROUNDS: Final = 6


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("strikethrough")


# ----------------------------------------------------------------------------------------- Markdown -> ADF
def markdown_to_adf(markdown: str) -> Node:
    """The ADF document for a Markdown body (an empty body gives an empty document)."""
    tree = SyntaxTreeNode(_parser().parse(markdown.replace("\r\n", "\n")))
    ids = _LocalIds()
    return {"type": "doc", "version": 1, "content": _blocks(tree.children, ids, allowed=None)}


class _LocalIds:
    """Task lists and items need a ``localId``; numbering them in document order keeps the output stable."""

    def __init__(self) -> None:
        self.count = 0

    def next(self) -> str:
        self.count += 1
        return f"pp-{self.count}"


def _blocks(nodes: Sequence[SyntaxTreeNode], ids: _LocalIds, *, allowed: frozenset[str] | None) -> list[Node]:
    blocks: list[Node] = []
    for node in nodes:
        for block in _block(node, ids):
            blocks.extend(_fit(block, allowed))
    return blocks


def _fit(block: Node, allowed: frozenset[str] | None) -> list[Node]:
    """``block``, or what it becomes where ADF does not allow it (a list item, a quote)."""
    if allowed is None or block["type"] in allowed:
        return [block]
    if block["type"] == "heading":
        return [{"type": "paragraph", "content": _with_mark(block.get("content", []), {"type": "strong"})}]
    if block["type"] == "blockquote":
        return [fitted for inner in block["content"] for fitted in _fit(inner, allowed)]
    if block["type"] == "taskList":
        return [_task_list_as_bullets(block)]
    if block["type"] == "rule":
        return [{"type": "paragraph", "content": [{"type": "text", "text": "---"}]}]
    return [block]


def _task_list_as_bullets(block: Node) -> Node:
    items = []
    for task in block["content"]:
        box = "[x] " if task["attrs"]["state"] == "DONE" else "[ ] "
        items.append({"type": "listItem", "content": [_paragraph([_text(box), *task.get("content", [])])]})
    return {"type": "bulletList", "content": items}


def _block(node: SyntaxTreeNode, ids: _LocalIds) -> list[Node]:
    kind = node.type
    if kind == "paragraph":
        return [_paragraph(_inlines(node))]
    if kind == "heading":
        level = int(node.tag[1])
        content = [n for n in _inlines(node) if n["type"] != "hardBreak"]
        return [{"type": "heading", "attrs": {"level": level}, "content": content}]
    if kind in ("fence", "code_block"):
        text = node.content[:-1] if node.content.endswith("\n") else node.content
        block: Node = {"type": "codeBlock", "content": [_text(text)] if text else []}
        language = node.info.strip().split(" ")[0] if kind == "fence" else ""
        if language:
            block["attrs"] = {"language": language}
        return [block]
    if kind == "hr":
        return [{"type": "rule"}]
    if kind == "blockquote":
        content = _blocks(node.children, ids, allowed=_QUOTE_BLOCKS)
        return [{"type": "blockquote", "content": content}] if content else []
    if kind == "bullet_list":
        return [_task_list(node, ids) or _list(node, "bulletList", ids)]
    if kind == "ordered_list":
        block = _list(node, "orderedList", ids)
        start = int(str(node.attrs.get("start", 1)))
        if start != 1:
            block["attrs"] = {"order": start}
        return [block]
    if kind == "html_block":
        lines = node.content.rstrip("\n").split("\n")
        return [_paragraph(_lines_as_inlines(lines))]
    return []  # nothing else reaches a commonmark tree at block level


def _list(node: SyntaxTreeNode, kind: str, ids: _LocalIds) -> Node:
    items = []
    for item in node.children:
        content = _blocks(item.children, ids, allowed=_LIST_ITEM_BLOCKS)
        if not content or content[0]["type"] != "paragraph":
            content.insert(0, {"type": "paragraph"})  # an item starts with a paragraph, however empty
        items.append({"type": "listItem", "content": content})
    return {"type": kind, "content": items}


def _task_list(node: SyntaxTreeNode, ids: _LocalIds) -> Node | None:
    """A bullet list whose every item is one paragraph starting ``[ ] `` or ``[x] ``, as an ADF task list."""
    tasks: list[Node] = []
    for item in node.children:
        if len(item.children) != 1 or item.children[0].type != "paragraph":
            return None
        inlines = _inlines(item.children[0])
        first = inlines[0] if inlines else None
        match = _TASK.match(first["text"]) if first is not None and first["type"] == "text" else None
        if first is None or match is None or first.get("marks"):
            return None
        rest = first["text"][match.end() :]
        content = ([_text(rest)] if rest else []) + inlines[1:]
        state = "TODO" if match.group(1) == " " else "DONE"
        tasks.append({"type": "taskItem", "attrs": {"localId": "", "state": state}, "content": content})
    list_id = ids.next()
    for task in tasks:
        task["attrs"]["localId"] = ids.next()
    return {"type": "taskList", "attrs": {"localId": list_id}, "content": tasks} if tasks else None


def _paragraph(content: list[Node]) -> Node:
    return {"type": "paragraph", "content": content} if content else {"type": "paragraph"}


def _text(text: str, marks: Sequence[Mark] = ()) -> Node:
    node: Node = {"type": "text", "text": text}
    if marks:
        node["marks"] = [dict(mark) for mark in marks]
    return node


def _lines_as_inlines(lines: Sequence[str]) -> list[Node]:
    content: list[Node] = []
    for number, line in enumerate(lines):
        if number:
            content.append({"type": "hardBreak"})
        if line:
            content.append(_text(line))
    return content


def _with_mark(content: Sequence[Node], mark: Mark) -> list[Node]:
    marked = []
    for node in content:
        if node["type"] == "text" and not any(m["type"] == "code" for m in node.get("marks", ())):
            marks = [m for m in node.get("marks", ()) if m["type"] != mark["type"]] + [mark]
            node = {**node, "marks": marks}
        marked.append(node)
    return marked


def _inlines(block: SyntaxTreeNode) -> list[Node]:
    """The inline content of a paragraph or heading, adjacent texts with the same marks merged."""
    out: list[Node] = []
    inline = block.children[0] if block.children else None
    if inline is not None:
        _walk_inline(inline.children, [], out)
    return _merge(out)


def _walk_inline(nodes: Sequence[SyntaxTreeNode], marks: list[Mark], out: list[Node]) -> None:
    for node in nodes:
        kind = node.type
        if kind == "text" or kind == "html_inline":
            if node.content:
                out.append(_text(node.content, marks))
        elif kind in ("softbreak", "hardbreak"):
            out.append({"type": "hardBreak"})
        elif kind == "code_inline":
            if node.content:
                kept = [m for m in marks if m["type"] == "link"]
                out.append(_text(node.content, [*kept, {"type": "code"}]))
        elif kind in ("strong", "em", "s"):
            mark = {"type": {"s": "strike"}.get(kind, kind)}
            _walk_inline(node.children, [*marks, mark], out)
        elif kind == "link":
            link = {"type": "link", "attrs": {"href": str(node.attrs.get("href", ""))}}
            _walk_inline(node.children, [m for m in marks if m["type"] != "link"] + [link], out)
        elif kind == "image":
            link = {"type": "link", "attrs": {"href": str(node.attrs.get("src", ""))}}
            alt = node.content or str(node.attrs.get("src", ""))
            if alt:
                out.append(_text(alt, [m for m in marks if m["type"] != "link"] + [link]))
        else:
            _walk_inline(node.children, marks, out)


def _same_marks(a: Node, b: Node) -> bool:
    return _sorted_marks(a.get("marks", ())) == _sorted_marks(b.get("marks", ()))


def _sorted_marks(marks: Iterable[Mark]) -> list[Mark]:
    return sorted(marks, key=lambda m: (_MARK_ORDER.index(m["type"]) if m["type"] in _MARK_ORDER else 99, str(m)))


def _merge(nodes: Sequence[Node]) -> list[Node]:
    merged: list[Node] = []
    for node in nodes:
        if node["type"] == "text" and merged and merged[-1]["type"] == "text" and _same_marks(merged[-1], node):
            merged[-1] = {**merged[-1], "text": merged[-1]["text"] + node["text"]}
        else:
            merged.append(node)
    for node in merged:
        if node["type"] == "text" and node.get("marks"):
            node["marks"] = _sorted_marks(node["marks"])
    return merged


# ----------------------------------------------------------------------------------------- ADF -> Markdown
def adf_to_markdown(document: Any) -> str:
    """The Markdown for an ADF document (``None`` or anything that is not a document: ``""``)."""
    if not isinstance(document, dict):
        return ""
    text = _render_blocks(_children(document), top=True).strip("\n")
    return text + "\n" if text else ""


def _children(node: Any) -> list[Node]:
    content = node.get("content") if isinstance(node, dict) else None
    return [child for child in content if isinstance(child, dict)] if isinstance(content, list) else []


def _render_blocks(blocks: Sequence[Node], *, top: bool = False) -> str:
    parts: list[str] = []
    previous: str | None = None
    for block in blocks:
        kind = str(block.get("type"))
        # Two lists of one kind in a row would read back as one list: the second takes the other marker.
        alternate = previous == kind and kind in ("bulletList", "orderedList", "taskList")
        rendered = _render_block(block, alternate=alternate)
        if rendered is not None:
            parts.append(rendered)
            previous = kind
    return "\n\n".join(parts)


def _render_block(block: Node, *, alternate: bool = False) -> str | None:
    kind = block.get("type")
    if kind == "paragraph":
        return _render_inlines(_children(block), line_start=True)
    if kind == "heading":
        level = _level(block)
        text = _render_inlines(_children(block), line_start=False, single_line=True)
        return "#" * level + (" " + text if text else "")
    if kind == "codeBlock":
        return _render_code_block(block)
    if kind == "rule":
        return "---"
    if kind == "blockquote":
        inner = _render_blocks(_children(block))
        return "\n".join(("> " + line) if line else ">" for line in inner.split("\n"))
    if kind in ("bulletList", "orderedList", "taskList"):
        return _render_list(block, alternate=alternate)
    if kind in ("mediaSingle", "mediaGroup", "media"):
        return None
    # Anything else a person may have added in Jira (a panel, a table, an expand): its text, as paragraphs.
    text = adf_text(block)
    return _render_inlines(_lines_as_inlines(text.split("\n")), line_start=True) if text else None


def _level(block: Node) -> int:
    attrs = block.get("attrs") if isinstance(block.get("attrs"), dict) else {}
    level = attrs.get("level", 1) if isinstance(attrs, dict) else 1
    return min(6, max(1, int(level))) if isinstance(level, int | float) else 1


def _render_code_block(block: Node) -> str:
    text = "".join(str(node.get("text", "")) for node in _children(block) if node.get("type") == "text")
    longest = max((len(run) for run in re.findall(r"`+|~+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    attrs = block.get("attrs") if isinstance(block.get("attrs"), dict) else {}
    language = str(attrs.get("language") or "") if isinstance(attrs, dict) else ""
    language = language.split()[0] if language.split() else ""
    return f"{fence}{language}\n{text}\n{fence}" if text else f"{fence}{language}\n{fence}"


def _render_list(block: Node, *, alternate: bool) -> str:
    kind = block.get("type")
    lines: list[str] = []
    if kind == "orderedList":
        attrs = block.get("attrs") if isinstance(block.get("attrs"), dict) else {}
        start = attrs.get("order", 1) if isinstance(attrs, dict) else 1
        number = int(start) if isinstance(start, int | float) and start >= 0 else 1
        delimiter = ")" if alternate else "."
        for offset, item in enumerate(_children(block)):
            lines.append(_render_item(f"{number + offset}{delimiter} ", _children(item)))
        return "\n".join(lines)
    bullet = "-" if alternate else "*"
    for item in _children(block):
        if item.get("type") == "taskItem":
            attrs = item.get("attrs") if isinstance(item.get("attrs"), dict) else {}
            done = isinstance(attrs, dict) and attrs.get("state") == "DONE"
            text = _render_inlines(_children(item), line_start=False)
            lines.append(_indent(f"{bullet} {'[x]' if done else '[ ]'} " + text, len(bullet) + 1))
        elif item.get("type") == "taskList":  # a nested task list: under the previous task
            nested = _render_list(item, alternate=False)
            lines.append(_indent(nested, len(bullet) + 1, first=True))
        else:
            lines.append(_render_item(f"{bullet} ", _children(item), bullet_item=True))
    return "\n".join(lines)


def _render_item(marker: str, blocks: Sequence[Node], *, bullet_item: bool = False) -> str:
    width = len(marker)
    if not blocks:
        return marker.rstrip()
    parts: list[str] = []
    for index, block in enumerate(blocks):
        rendered = _render_block(block) or ""
        if index == 0 and block.get("type") == "paragraph" and bullet_item and _TASK.match(rendered):
            rendered = "\\" + rendered  # a literal "[ ] " is not a task box
        if index == 0:
            parts.append(rendered)
        else:
            # A nested list follows tightly; anything else after the first block makes the item loose.
            tight = block.get("type") in ("bulletList", "orderedList", "taskList")
            parts.append(("\n" if tight else "\n\n") + rendered)
    body = "".join(parts)
    if not body.strip():
        return marker.rstrip()
    return _indent(marker + body, width)


def _indent(text: str, width: int, *, first: bool = False) -> str:
    pad = " " * width
    lines = text.split("\n")
    head = (pad + lines[0]) if first and lines[0] else lines[0]
    return "\n".join([head, *((pad + line) if line else "" for line in lines[1:])])


# -- inline ----------------------------------------------------------------------------------------------
def _render_inlines(nodes: Sequence[Node], *, line_start: bool, single_line: bool = False) -> str:
    """Inline nodes as Markdown: marks opened and closed around runs, text escaped where it would parse."""
    segments = list(_segments(nodes, single_line=single_line))
    out: list[str] = []
    open_marks: list[Mark] = []
    for index, (text, marks) in enumerate(segments):
        if text == "\n":
            out.extend(_close(open_marks, len(open_marks)))
            open_marks = []
            out.append("\n")
            continue
        common = 0
        while common < len(open_marks) and common < len(marks) and open_marks[common] == marks[common]:
            common += 1
        out.extend(_close(open_marks, len(open_marks) - common))
        open_marks = open_marks[:common]
        code = any(m["type"] == "code" for m in marks)
        lead, core, trail = ("", text, "") if code else _split_space(text)
        so_far = "".join(out)
        at_line_start = (not so_far or so_far.endswith("\n")) and not marks
        out.append(lead)
        for mark in marks[common:]:
            out.append(_opener(mark))
            open_marks.append(mark)
        if code:
            out.append(_code_span(core))
            # code is the innermost mark: close it at once (it is written as one span)
            open_marks = [m for m in open_marks if m["type"] != "code"]
        else:
            before = segments[index - 1][0][-1:] if index else ""
            after = segments[index + 1][0][:1] if index + 1 < len(segments) else ""
            out.append(_escape(core, line_start=line_start and at_line_start, before=before, after=after))
        if trail:
            out.extend(_close(open_marks, len(open_marks)))
            open_marks = []
            out.append(trail)
    out.extend(_close(open_marks, len(open_marks)))
    rendered = "".join(out)
    if single_line:
        rendered = rendered.replace("\n", " ")
    return rendered


def _segments(nodes: Sequence[Node], *, single_line: bool) -> Iterator[tuple[str, list[Mark]]]:
    """(text, marks in writing order) per run; ``("\\n", [])`` for a line break."""
    for node in nodes:
        kind = node.get("type")
        if kind == "hardBreak":
            yield ("\n", []) if not single_line else (" ", [])
        elif kind == "text":
            text = str(node.get("text", ""))
            marks = [m for m in _sorted_marks(_valid_marks(node)) if m["type"] in _MARK_ORDER]
            for number, line in enumerate(text.split("\n")):
                if number:
                    yield ("\n", []) if not single_line else (" ", [])
                if line:
                    yield line, marks
        else:
            text = _inline_text(node)
            if text:
                yield text, []


def _valid_marks(node: Node) -> list[Mark]:
    marks = node.get("marks")
    if not isinstance(marks, list):
        return []
    kept = [m for m in marks if isinstance(m, dict) and isinstance(m.get("type"), str)]
    if any(m["type"] == "code" for m in kept):  # ADF allows code with a link only
        kept = [m for m in kept if m["type"] in ("code", "link")]
    return [{"type": m["type"], **({"attrs": m["attrs"]} if m["type"] == "link" else {})} for m in kept]


def _inline_text(node: Node) -> str:
    attrs = node.get("attrs") if isinstance(node.get("attrs"), dict) else {}
    if not isinstance(attrs, dict):
        return ""
    kind = node.get("type")
    if kind in ("mention", "emoji", "status"):
        return str(attrs.get("text") or attrs.get("shortName") or "")
    if kind == "inlineCard":
        return str(attrs.get("url") or "")
    if kind == "date":
        return str(attrs.get("timestamp") or "")
    return adf_text(node)


def _split_space(text: str) -> tuple[str, str, str]:
    """Leading and trailing whitespace kept outside emphasis delimiters (inside, they would not parse)."""
    core = text.strip(" \t")
    if not core:
        return text, "", ""
    start = text.index(core)
    return text[:start], core, text[start + len(core) :]


def _opener(mark: Mark) -> str:
    return {"link": "[", "strong": "**", "em": "*", "strike": "~~", "code": ""}[mark["type"]]


def _closer(mark: Mark) -> str:
    if mark["type"] == "link":
        attrs = mark.get("attrs") if isinstance(mark.get("attrs"), dict) else {}
        href = str(attrs.get("href", "")) if isinstance(attrs, dict) else ""
        return f"]({_destination(href)})"
    return _opener(mark)


def _close(open_marks: Sequence[Mark], count: int) -> list[str]:
    return [_closer(mark) for mark in reversed(open_marks[len(open_marks) - count :])] if count > 0 else []


def _destination(href: str) -> str:
    if not href or re.search(r"[\s()<>]", href):
        return "<" + href.replace("\\", "\\\\").replace("<", "\\<").replace(">", "\\>") + ">"
    return href.replace("\\", "\\\\")


def _code_span(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.endswith(" ") and text.strip())
    return f"{fence} {text} {fence}" if pad else f"{fence}{text}{fence}"


_ALWAYS: Final = re.compile(r"([\\`*\[\]<])")
_LINE_START: Final = re.compile(r"^(\s*)(#{1,6}(?=\s|$)|[>+\-=]|\d{1,9}(?=[.)])|`{3,}|~{3,})")


def _escape(text: str, *, line_start: bool, before: str, after: str) -> str:
    """Backslash-escape what CommonMark would read as markup in ``text`` (and nothing else: a metadata line
    such as ``PLAN_ID:abc`` stays as it is)."""
    escaped = _ALWAYS.sub(r"\\\1", text)
    escaped = _escape_underscores(escaped, before, after)
    escaped = re.sub(r"~(?=~)|(?<=~)~", r"\\~", escaped)
    if (before == "~" and escaped.startswith("~")) or (after == "~" and escaped.endswith("~")):
        escaped = escaped[:-1] + "\\~" if escaped.endswith("~") and after == "~" else "\\" + escaped
    escaped = re.sub(r"&(?=#?\w+;)", r"\\&", escaped)
    if line_start:
        match = _LINE_START.match(escaped)
        if match:
            lead, token = match.group(1), match.group(2)
            if token[0].isdigit():
                position = len(lead) + len(token)
                escaped = escaped[:position] + "\\" + escaped[position:]
            else:
                escaped = lead + "\\" + escaped[len(lead) :]
    return escaped


def _escape_underscores(text: str, before: str, after: str) -> str:
    """An underscore inside a word never starts emphasis; one at a word's edge might: escape only those."""
    out = []
    for index, char in enumerate(text):
        if char == "_":
            left = text[index - 1] if index else before
            right = text[index + 1] if index + 1 < len(text) else after
            if not (left.isalnum() and right.isalnum()):
                out.append("\\_")
                continue
        out.append(char)
    return "".join(out)


# ----------------------------------------------------------------------------------------- helpers
def adf_text(document: Any) -> str:
    """The plain text of an ADF node: text in order, a line per block and per line break."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if not isinstance(node, dict):
            return
        kind = node.get("type")
        if kind == "text":
            out.append(str(node.get("text", "")))
        elif kind == "hardBreak":
            out.append("\n")
        elif kind in ("mention", "emoji", "status", "inlineCard", "date"):
            out.append(_inline_text(node))
        for child in _children(node):
            walk(child)
        if kind in ("paragraph", "heading", "codeBlock", "taskItem", "listItem", "tableCell", "tableHeader"):
            out.append("\n")

    walk(document)
    return re.sub(r"\n{2,}", "\n", "".join(out)).strip("\n")


def adf_size(document: Node) -> int:
    """How long the document is as Jira counts a description against its limit (its compact JSON)."""
    import json

    return len(json.dumps(document, separators=(",", ":"), ensure_ascii=False))


def canonical_markdown(markdown: str) -> str:
    """Markdown -> ADF -> Markdown until it no longer changes: the form bodies are compared in."""
    current = markdown.replace("\r\n", "\n")
    for _ in range(_CANONICAL_ROUNDS):
        following = adf_to_markdown(markdown_to_adf(current))
        if following == current:
            break
        current = following
    return current
