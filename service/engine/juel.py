"""Camunda 7 (JUEL) idioms read as the evaluator's own syntax, so what passes validation also runs.

Process owners paste conditions from Camunda 7 diagrams: ``${approved == true}``, ``${x != null}``, ``${!x}``,
``${a && b}``, ``${n gt 3}``, ``${empty list}``. Each is rewritten, token by token and never inside a string
literal, to the expression the allow-listed evaluator knows (``True``, ``None``, ``not``, ``and``, ``>``,
``is_empty(list)``), and then parsed and checked like any other expression. The rewriting is the same at
validation and at run time because both go through :func:`service.engine.expressions.normalise`.
"""

from __future__ import annotations

import io
import keyword
import re
import tokenize

_LITERALS = {"true": "True", "false": "False", "null": "None"}
_OPERATORS = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=", "div": "/", "mod": "%"}
_MARKERS = re.compile(r"&&|\|\||!(?!=)|\b(?:true|false|null|eq|ne|lt|gt|le|ge|div|mod|empty)\b")
# A Camunda cron cycle: six or seven fields of digits, ranges, lists, steps and the ? L W # wildcards.
_CRON = re.compile(r"^\s*[0-9*?/,\-LW#A-Z]+(\s+[0-9*?/,\-LW#A-Z]+){5,6}\s*$")
_SYMBOLS = {"&&": " and ", "||": " or ", "!": " not "}


def translate(source: str) -> str:
    """``source`` with JUEL operators and literals replaced; unchanged when it has none (the usual case)."""
    if not _MARKERS.search(source):
        return source
    text = _symbols(source)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return text  # the parser reports the syntax error, with its position
    return tokenize.untokenize(_words(tokens))


def is_cron(text: str) -> bool:
    """True for a Camunda cron ``timeCycle`` (``0 0 9 * * ?``), which has no ISO 8601 meaning."""
    return bool(_CRON.match(text))


def _symbols(source: str) -> str:
    """``&&``, ``||`` and a lone ``!`` outside string literals."""
    out: list[str] = []
    quote: str | None = None
    index = 0
    while index < len(source):
        char = source[index]
        if quote is not None:
            out.append(char)
            if char == "\\" and index + 1 < len(source):
                out.append(source[index + 1])
                index += 1
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
            out.append(char)
        elif source.startswith(("&&", "||"), index):
            out.append(_SYMBOLS[source[index : index + 2]])
            index += 1
        elif char == "!" and not source.startswith("!=", index):
            out.append(_SYMBOLS["!"])
        else:
            out.append(char)
        index += 1
    return "".join(out)


def _ends_operand(token: tokenize.TokenInfo | None) -> bool:
    if token is None:
        return False
    if token.type == tokenize.NAME:
        return not keyword.iskeyword(token.string) or token.string in ("True", "False", "None")
    return token.type in (tokenize.NUMBER, tokenize.STRING) or token.string in (")", "]", "}")


def _words(tokens: list[tokenize.TokenInfo]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    previous: tokenize.TokenInfo | None = None
    index = 0
    while index < len(tokens):
        token = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        word = token.string if token.type == tokenize.NAME else None
        if word in _LITERALS:
            out.append((tokenize.NAME, _LITERALS[word]))
        elif word in _OPERATORS and _ends_operand(previous) and following is not None:
            out.append((tokenize.OP, _OPERATORS[word]))
        elif word == "empty" and not _ends_operand(previous) and following is not None:
            operand, index = _operand(tokens, index + 1)
            out.extend([(tokenize.NAME, "is_empty"), (tokenize.OP, "("), *operand, (tokenize.OP, ")")])
            previous = tokens[index - 1]
            continue
        else:
            out.append((token.type, token.string))
        previous = token if token.type not in (tokenize.NL, tokenize.COMMENT) else previous
        index += 1
    return out


def _operand(tokens: list[tokenize.TokenInfo], start: int) -> tuple[list[tuple[int, str]], int]:
    """The primary after ``empty``: a name with ``.attr`` and ``[...]`` parts, or one bracketed group."""
    out: list[tuple[int, str]] = []
    index, depth = start, 0
    while index < len(tokens):
        token = tokens[index]
        if depth == 0 and out and not (token.string in (".", "[", "(") or out[-1][1] == "."):
            break
        if token.string in ("(", "["):
            depth += 1
        elif token.string in (")", "]"):
            depth -= 1
        out.append((token.type, _LITERALS.get(token.string, token.string)))
        index += 1
        if depth == 0 and token.string in (")", "]") and index < len(tokens) and tokens[index].string != "[":
            break
    return out, index
