"""The report as a list of blocks, rendered as Markdown or as a self-contained HTML page.

The same blocks give ``REPORT.md`` (figures linked as files) and ``report.html`` (inline
CSS, figures as data URIs); inline `code`, **bold** and [links](url) work in both.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from tools.report.figures import FIGURES_DIR_NAME, Figure


@dataclass
class Heading:
    level: int
    text: str

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.text.lower()).strip("-")


@dataclass
class Paragraph:
    text: str


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    row_classes: list[str] = field(default_factory=list)


@dataclass
class FigureBlock:
    figure: Figure


Block = Heading | Paragraph | Bullets | Table | FigureBlock


def md_cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def render_markdown(blocks: Sequence[Block], figures_prefix: str = FIGURES_DIR_NAME) -> str:
    """GitHub-flavoured Markdown of ``blocks``; figures link to ``figures_prefix/<file>``."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out += ["#" * block.level + " " + block.text, ""]
        elif isinstance(block, Paragraph):
            out += [block.text, ""]
        elif isinstance(block, Bullets):
            out += [f"- {item}" for item in block.items] + [""]
        elif isinstance(block, Table):
            out.append("| " + " | ".join(md_cell(h) for h in block.header) + " |")
            out.append("|" + "---|" * len(block.header))
            out += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in block.rows]
            out.append("")
        elif isinstance(block, FigureBlock):
            fig = block.figure
            out += [
                f"![{fig.caption}]({figures_prefix}/{fig.filename})",
                "",
                f"*{fig.caption}*",
                "",
            ]
    return "\n".join(out).rstrip("\n") + "\n"


_INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)")


def inline_html(text: str) -> str:
    """Escape ``text`` and turn its `code`, **bold** and [links](url) into HTML."""
    out, pos = [], 0
    for match in _INLINE.finditer(text):
        out.append(html.escape(text[pos : match.start()]))
        code, bold, label, url = match.groups()
        if code is not None:
            out.append(f"<code>{html.escape(code)}</code>")
        elif bold is not None:
            out.append(f"<strong>{html.escape(bold)}</strong>")
        else:
            out.append(f'<a href="{html.escape(url, quote=True)}">{html.escape(label)}</a>')
        pos = match.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #1d232b; background: #fff; line-height: 1.45; }
main { max-width: 1180px; margin: 0 auto; padding: 1.5rem 2rem 4rem; }
h1 { font-size: 1.9rem; border-bottom: 3px solid #2f5d8a; padding-bottom: .3rem; }
h2 { font-size: 1.45rem; margin-top: 2.4rem; border-bottom: 1px solid #c8d2dc; }
h3 { font-size: 1.15rem; margin-top: 1.6rem; }
code { background: #f1f3f6; padding: 0 .25em; border-radius: 3px; font-size: .92em; }
table { border-collapse: collapse; margin: .6rem 0 1.2rem; font-size: .86rem; }
th, td { border: 1px solid #cfd6de; padding: .28rem .5rem; text-align: left;
         vertical-align: top; }
th { background: #eef2f6; }
tr.agree td.status { background: #dff3e3; color: #17602a; font-weight: 600; }
tr.differ td.status { background: #fde7d8; color: #8a3b0c; font-weight: 600; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 1rem 0 1.6rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #e1e6eb; }
figcaption { font-size: .85rem; color: #4a5561; margin-top: .3rem; }
nav.toc { background: #f6f8fa; border: 1px solid #dde3e9; padding: .5rem 1.2rem;
          margin: 1rem 0; }
nav.toc ul { margin: .3rem 0; }
""".strip()


def render_html(blocks: Sequence[Block], title: str) -> str:
    """A self-contained HTML page of ``blocks`` (inline CSS, figures as data URIs)."""
    toc = [b for b in blocks if isinstance(b, Heading) and b.level == 2]
    body: list[str] = []
    first_heading_done = False
    for block in blocks:
        if isinstance(block, Heading):
            body.append(
                f'<h{block.level} id="{block.anchor}">{inline_html(block.text)}</h{block.level}>'
            )
            if block.level == 1 and not first_heading_done and toc:
                first_heading_done = True
                items = "".join(
                    f'<li><a href="#{h.anchor}">{inline_html(h.text)}</a></li>' for h in toc
                )
                body.append(f'<nav class="toc"><strong>Contents</strong><ul>{items}</ul></nav>')
        elif isinstance(block, Paragraph):
            body.append(f"<p>{inline_html(block.text)}</p>")
        elif isinstance(block, Bullets):
            body.append(
                "<ul>" + "".join(f"<li>{inline_html(i)}</li>" for i in block.items) + "</ul>"
            )
        elif isinstance(block, Table):
            head = "".join(f"<th>{inline_html(h)}</th>" for h in block.header)
            rows = []
            status_col = block.header.index("Status") if "Status" in block.header else -1
            for i, row in enumerate(block.rows):
                cls = block.row_classes[i] if i < len(block.row_classes) else ""
                cells = []
                for j, cell in enumerate(row):
                    td_cls = "status" if j == status_col else ""
                    attr = f' class="{td_cls}"' if td_cls else ""
                    cells.append(f"<td{attr}>{inline_html(cell)}</td>")
                attr = f' class="{cls}"' if cls else ""
                rows.append(f"<tr{attr}>{''.join(cells)}</tr>")
            body.append(
                f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            )
        elif isinstance(block, FigureBlock):
            fig = block.figure
            body.append(
                f'<figure><img src="{fig.data_uri()}" alt="{html.escape(fig.caption)}">'
                f"<figcaption>{html.escape(fig.caption)}</figcaption></figure>"
            )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{CSS}\n</style>\n</head>\n"
        "<body>\n<main>\n" + "\n".join(body) + "\n</main>\n</body>\n</html>\n"
    )
