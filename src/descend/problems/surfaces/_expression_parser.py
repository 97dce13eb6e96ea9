"""The grammar of typed functions: a tokenizer and an operator-precedence parser that turn
text such as ``"x^2 + 10*y^2"`` into a small tree. Pure Python: :mod:`.expression` prints the tree
as normalised text and compiles it to JAX.

The text is read, never run: no ``eval``, ``exec``, ``compile``, import or attribute look-up
sees it. Every name is checked against a fixed whitelist, every character against a fixed
alphabet (ASCII only), and the parser is bounded: at most :data:`MAX_LENGTH` characters (not
counting spaces; :data:`MAX_TEXT` with them) and :data:`MAX_DEPTH` levels of nesting, so no
input can exhaust Python's stack or memory.

The grammar (EBNF; names are case-sensitive; spaces, tabs and newlines between tokens are
ignored; columns in error messages count characters from 1)::

    expression := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary)*
    unary      := ("+" | "-") unary | power
    power      := primary (("^" | "**") unary)?
    primary    := NUMBER | "x" | "y" | "pi" | "e" | "(" expression ")"
                | FUNCTION "(" [expression ("," expression)*] ")"
    NUMBER     := (digits ["." [digits]] | "." digits) [("e" | "E") ["+" | "-"] digits]

So ``^`` and ``**`` (the same operator) bind tighter than unary minus and associate to the
right, as in mathematics: ``-x^2`` is ``-(x^2)`` and ``2^3^2`` is ``2^9``; ``2^-1`` is allowed.
Multiplication must be written: ``2x`` is an error ("missing operator"). A function takes the
number of arguments in :data:`FUNCTIONS` (``min`` and ``max`` two or more).
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import NamedTuple

#: The longest expression accepted, in characters other than spaces, tabs and newlines (so
#: the normalised text, which only adds spaces, is accepted too) ...
MAX_LENGTH = 1000
#: ... and in characters all told.
MAX_TEXT = 4 * MAX_LENGTH
#: The deepest nesting accepted: each parenthesis, function call, unary sign and exponent is
#: one level.
MAX_DEPTH = 100

VARIABLES = ("x", "y")
CONSTANTS = {"pi": math.pi, "e": math.e}
#: Every function a typed expression may call: its name -> (fewest, most) arguments, with
#: ``None`` for no upper bound.
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    **dict.fromkeys(
        (
            *("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh"),
            *("exp", "log", "log10", "log2", "sqrt", "cbrt", "abs", "sign", "floor", "ceil"),
            *("sigmoid", "softplus", "relu"),
        ),
        (1, 1),
    ),
    **dict.fromkeys(("atan2", "pow", "hypot"), (2, 2)),
    **dict.fromkeys(("min", "max"), (2, None)),
}
ALLOWED_NAMES = (*VARIABLES, *CONSTANTS, *FUNCTIONS)

_NUMBER = r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_DIGITS = "0123456789"
_SPACE = " \t\n\r"
_OPERATORS = ("**", "+", "-", "*", "/", "^", "(", ")", ",")
_HINTS = {
    **dict.fromkeys("'\"", "strings are not allowed"),
    **dict.fromkeys("=<>!", "assignments and comparisons are not allowed"),
    **dict.fromkeys("[]{}", "group with '(' and ')'"),
    ".": "attribute access is not allowed",
    ";": "write one expression only",
}


class ExpressionError(ValueError):
    """A typed expression that is not in the grammar, or is too long or too deep.

    ``column`` is the 1-based position of the problem in the text (``None`` when the problem
    is the text as a whole: empty, or too long).
    """

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column


# ---------------------------------------------------------------------------------------------
# The tree: NamedTuples, so that equal trees compare equal


class Number(NamedTuple):  # a literal number, with its text as typed
    value: float
    text: str


class Name(NamedTuple):  # a variable (x, y) or a constant (pi, e)
    name: str


class Negate(NamedTuple):  # unary minus (unary plus leaves no node)
    operand: Node


class Sum(NamedTuple):  # first (op term)... with each op "+" or "-", left to right
    first: Node
    rest: tuple[tuple[str, Node], ...]


class Product(NamedTuple):  # first (op factor)... with each op "*" or "/", left to right
    first: Node
    rest: tuple[tuple[str, Node], ...]


class Power(NamedTuple):  # base ^ exponent
    base: Node
    exponent: Node


class Call(NamedTuple):  # a call of a whitelisted function
    function: str
    args: tuple[Node, ...]


Node = Number | Name | Negate | Sum | Product | Power | Call


# ---------------------------------------------------------------------------------------------
# Tokens


class Token(NamedTuple):
    """``kind`` is ``"number"``, ``"name"``, ``"op"``, ``"end"`` or ``"bad"`` (then ``text``
    is the error message, raised when the parser reaches it, so errors come left to right)."""

    kind: str
    text: str
    column: int


def _show(text: str, limit: int = 30) -> str:
    """``text`` quoted for a message, shortened, with any character outside printable ASCII
    written as its code point and Unicode name."""
    if len(text) == 1 and not (" " <= text <= "~"):
        name = unicodedata.name(text, "")
        shown = f"'{text}' " if text.isprintable() else ""
        return f"{shown}(U+{ord(text):04X}{' ' + name if name else ''})"
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _bad_character(char: str, column: int) -> str:
    hint = _HINTS.get(char, "")
    if not char.isascii():
        hint = "only ASCII characters are allowed"
    return (
        f"unexpected character {_show(char)} at column {column}"
        + (f" ({hint})" if hint else "")
        + "; an expression uses numbers, x, y, pi, e, functions, + - * / ^ ** ( ) and ,"
    )


def _unknown_name(word: str, column: int) -> str:
    hint = ""
    if word.lower() in ALLOWED_NAMES:
        hint = f" (names are case-sensitive: did you mean '{word.lower()}'?)"
    return f"unknown name {_show(word)} at column {column}{hint}; allowed: " + ", ".join(
        ALLOWED_NAMES
    )


def _prefix(pattern: str, text: str) -> str:
    """The longest start of ``text`` that ``pattern`` matches ("" if none)."""
    match = re.match(pattern, text)
    return match.group() if match else ""


def _number_problem(text: str, i: int, end: int) -> str | None:
    """What is wrong with the number that starts at ``text[i]`` and is valid up to ``end``."""
    after, where = text[end : end + 1], f"at column {i + 1}"
    if after == ".":
        return f"malformed number {_show(_prefix(r'[0-9.]*', text[i:]))} {where}"
    if after in ("e", "E"):
        shown = _show(_prefix(r"[0-9.]*(?:[eE][+-]?[0-9]+)?[eE][+-]?", text[i:]))
        return f"malformed number {shown} {where}: an exponent needs digits, as in 1e-3"
    if not math.isfinite(float(text[i:end])):
        return f"number {_show(text[i:end])} {where} is too large"
    return None


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``"end"`` token or at the first ``"bad"`` one."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        char, column = text[i], i + 1
        if char in _SPACE:
            i += 1
            continue
        if char in _DIGITS or (char == "." and text[i + 1 : i + 2] in tuple(_DIGITS)):
            end = i + len(_prefix(_NUMBER, text[i:]))
            problem = _number_problem(text, i, end)
            if problem:
                tokens.append(Token("bad", problem, column))
                return tokens
            tokens.append(Token("number", text[i:end], column))
            i = end
            continue
        word = _prefix(_NAME, text[i:])
        if word:
            if word not in ALLOWED_NAMES:
                tokens.append(Token("bad", _unknown_name(word, column), column))
                return tokens
            tokens.append(Token("name", word, column))
            i += len(word)
            continue
        op = next((op for op in _OPERATORS if text.startswith(op, i)), None)
        if op is None:
            tokens.append(Token("bad", _bad_character(char, column), column))
            return tokens
        tokens.append(Token("op", op, column))
        i += len(op)
    tokens.append(Token("end", "", n + 1))
    return tokens


# ---------------------------------------------------------------------------------------------
# The parser: operator precedence with explicit stacks (no recursion, so no input and no depth
# of the caller's stack can reach Python's recursion limit)

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "pos": 3, "^": 4}


class _Open(
    NamedTuple
):  # An open parenthesis on the operator stack: grouping, or the call of ``function``.
    column: int
    function: str | None
    function_column: int
    args: int  # arguments completed so far


def _arguments(count: int) -> str:
    return f"{count} argument{'s' if count != 1 else ''}"


def _check_arity(function: str, count: int, column: int) -> None:
    low, high = FUNCTIONS[function]
    if count < low or (high is not None and count > high):
        wanted = _arguments(low) if low == high else f"at least {_arguments(low)}"
        raise ExpressionError(f"{function} takes {wanted}, got {count} at column {column}", column)


class _Stacks:
    """The operand stack (each node with whether it was in parentheses, which stops a sum or
    product from absorbing the next term) and the operator stack, with the nesting depth."""

    def __init__(self) -> None:
        self.out: list[tuple[Node, bool]] = []
        self.ops: list[str | _Open] = []
        self.depth = 0

    def push(self, item: str | _Open, column: int) -> None:
        if isinstance(item, _Open) or item in ("neg", "pos", "^"):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ExpressionError(
                    f"expression nests deeper than {MAX_DEPTH} levels at column {column}; the "
                    f"limit is {MAX_DEPTH} (each '(', call, sign and exponent is a level)",
                    column,
                )
        self.ops.append(item)

    def reduce(self) -> None:
        """Apply the operator on top of the stack to its operands."""
        op = self.ops.pop()
        assert isinstance(op, str)
        if op in ("neg", "pos", "^"):
            self.depth -= 1
        right, grouped = self.out.pop()
        if op == "neg":
            self.out.append((Negate(right), False))
        elif op == "pos":
            self.out.append((right, grouped))
        else:
            left, left_grouped = self.out.pop()
            if op == "^":
                node: Node = Power(left, right)
            else:
                kind = Sum if op in "+-" else Product
                if isinstance(left, kind) and not left_grouped:
                    node = kind(left.first, (*left.rest, (op, right)))
                else:
                    node = kind(left, ((op, right),))
            self.out.append((node, False))

    def reduce_to_open(self) -> _Open | None:
        """Reduce down to the innermost open parenthesis and return it (None if there is none)."""
        while self.ops and not isinstance(self.ops[-1], _Open):
            self.reduce()
        top = self.ops[-1] if self.ops else None
        return top if isinstance(top, _Open) else None


def _missing_operator(before: Token, token: Token) -> ExpressionError:
    return ExpressionError(
        f"missing operator between {before.text!r} and {token.text!r} at column {token.column} "
        "(multiplication must be written: 2*x, not 2x)",
        token.column,
    )


def _parse_tokens(tokens: list[Token]) -> Node:
    stacks = _Stacks()
    expect_operand = True
    i = 0
    while True:
        token = tokens[i]
        if token.kind == "bad":
            raise ExpressionError(token.text, token.column)
        op = token.text if token.kind == "op" else None
        if expect_operand:
            if token.kind == "number":
                stacks.out.append((Number(float(token.text), token.text), False))
                expect_operand = False
            elif token.kind == "name" and token.text in FUNCTIONS:
                opening = tokens[i + 1]
                if opening.kind == "bad":
                    raise ExpressionError(opening.text, opening.column)
                if opening.text != "(" or opening.kind != "op":
                    raise ExpressionError(
                        f"expected '(' after function '{token.text}' at column "
                        f"{opening.column}: write {token.text}(...)",
                        opening.column,
                    )
                stacks.push(_Open(opening.column, token.text, token.column, 0), opening.column)
                i += 1
            elif token.kind == "name":
                stacks.out.append((Name(token.text), False))
                expect_operand = False
            elif op == "(":
                stacks.push(_Open(token.column, None, token.column, 0), token.column)
            elif op in ("+", "-"):
                stacks.push("neg" if op == "-" else "pos", token.column)
            else:
                top = stacks.ops[-1] if stacks.ops else None
                if (
                    op == ")"
                    and isinstance(top, _Open)
                    and top.function
                    and tokens[i - 1].text == "("
                ):
                    _check_arity(top.function, 0, top.function_column)
                found = "end of input" if token.kind == "end" else f"got {token.text!r}"
                raise ExpressionError(
                    f"expected a number or a name at column {token.column} ({found})",
                    token.column,
                )
        elif op in ("+", "-", "*", "/"):
            while stacks.ops and not isinstance(stacks.ops[-1], _Open):
                if _PRECEDENCE[stacks.ops[-1]] < _PRECEDENCE[op]:  # type: ignore[index]
                    break
                stacks.reduce()
            stacks.push(op, token.column)
            expect_operand = True
        elif op in ("^", "**"):  # right-associative and the tightest: nothing to reduce
            stacks.push("^", token.column)
            expect_operand = True
        elif op == ")":
            opened = stacks.reduce_to_open()
            if opened is None:
                raise ExpressionError(
                    f"unexpected ')' at column {token.column} (no '(' to close)", token.column
                )
            stacks.ops.pop()
            stacks.depth -= 1
            if opened.function is None:
                stacks.out[-1] = (stacks.out[-1][0], True)
            else:
                count = opened.args + 1
                _check_arity(opened.function, count, opened.function_column)
                args = tuple(node for node, _ in stacks.out[-count:])
                del stacks.out[-count:]
                stacks.out.append((Call(opened.function, args), False))
        elif op == ",":
            opened = stacks.reduce_to_open()
            if opened is None or opened.function is None:
                raise ExpressionError(
                    f"unexpected ',' at column {token.column} (commas separate the arguments "
                    "of a function)",
                    token.column,
                )
            stacks.ops[-1] = opened._replace(args=opened.args + 1)
            expect_operand = True
        elif token.kind == "end":
            opened = stacks.reduce_to_open()
            if opened is not None:
                of = f" of {opened.function}(...)" if opened.function else ""
                raise ExpressionError(
                    f"unclosed '('{of} opened at column {opened.column} (end of input)",
                    opened.column,
                )
            return stacks.out[0][0]
        else:
            raise _missing_operator(tokens[i - 1], token)
        i += 1


def parse(text: str) -> Node:
    """The tree of ``text`` (already a ``str``), or an :class:`ExpressionError` that says
    what is wrong and at which column."""
    size = len(text) - sum(text.count(space) for space in _SPACE)
    if len(text) > MAX_TEXT or size > MAX_LENGTH:
        raise ExpressionError(
            f"expression is {size} characters long not counting spaces ({len(text)} with "
            f"them); the limit is {MAX_LENGTH} not counting spaces ({MAX_TEXT} with them)"
        )
    if not size:
        raise ExpressionError("expression is empty; write a formula of x and y, e.g. x^2 + y^2")
    return _parse_tokens(tokenize(text))
