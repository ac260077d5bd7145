"""Surroundings: what the code around a place says about its names (the enclosing class, types known from bindings).

A rewrite learned from two examples sees only the edited snippets, yet some edits are right only
because of what surrounds them: ruff turns `d.get(k, None)` into `d.get(k)` only where `d` is
known to be a dict, and `super(C, self)` into `super()` only inside class `C`. These facts are
read here, from the syntax tree alone (no imports followed, no inference across calls), so that a
learned rule can carry them (`RewriteRule.facts`) and apply only where they hold. One fact is
about the capture's own text: `$B is a name` when a string's content becomes an attribute
(`getattr(x, "$B") -> x.$B` must not apply to `getattr(x, "a b")`), and one is about
`self`: a method called on captures that never were `self` (`$A.keys() -> $A`) is not called on
`self`, the instance of the class the code is writing, whose methods may be anything.

A name's type is known when every binding of it in the scope that owns it says the same builtin
type: an assignment of a literal, a comprehension or a call of the type (`{}`, `dict(a=1)`), an
annotation naming it (`x: dict[str, int]`, a parameter `d: Dict`), or a def's `*args` (a tuple)
and `**kwargs` (a dict). Any other binding (a loop
target, an import, a parameter without annotation, `global`) makes it unknown. Only Python is
read; for other languages nothing is known, and a rule with facts applies nowhere there.

Two facts are about annotations, for a rule that unquotes a type: `the annotation is never
evaluated` (anywhere in a module with `from __future__ import annotations`, and a local
variable's annotation in a function), since `task: "Task"` may lose its quotes only there, and
`$A names a type` (a quoted forward reference, not a value such as `Literal["a"]`'s).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ast_grep_py import SgNode

LANGUAGE = "python"
# "$A names the enclosing class", "$D is a dict": a fact about what a metavariable captured.
FACT = re.compile(
    r"""
    (?:\$(?P<name>[A-Z_][A-Z0-9_]*)          # a metavariable
      | `(?P<written>[A-Za-z_][A-Za-z0-9_]*)`  # or a name the pattern spells out
    )\ (?:
        (?P<enclosing>names\ the\ enclosing\ class)
      | is\ a\ (?P<type>dict|list|set|tuple|str)
      | (?P<name_fact>is\ a\ name)   # an identifier's spelling (a string's content)
      | (?P<names_type>names\ a\ type)   # a quoted annotation: a forward reference
      | (?P<not_string>is\ not\ a\ string)   # not a string literal (such as a forward reference)
      | (?P<not_self>is\ not\ self)   # not the instance whose class the code is writing
    )
    | (?P<unevaluated>the\ annotation\ is\ never\ evaluated)  # the match's annotation
    | (?P<returns_value>the\ function\ returns\ a\ value\ elsewhere)  # the match's def
    """,
    re.VERBOSE,
)
ENCLOSING_CLASS = "${name} names the enclosing class"
IS_A = "${name} is a {type}"
IS_A_NAME = "${name} is a name"
NAMES_A_TYPE = "${name} names a type"
NOT_A_STRING = "${name} is not a string"
NOT_SELF = "${name} is not self"
WRITTEN_IS_A = "`{name}` is a {type}"
UNEVALUATED = "the annotation is never evaluated"
RETURNS_VALUE = "the function returns a value elsewhere"
INVALID_FACT = (
    "unknown fact {fact!r}: expected `$NAME names the enclosing class`,"
    " `$NAME is a dict|list|set|tuple|str`, `$NAME is a name`, `$NAME names a type` or"
    " `$NAME is not a string` or `$NAME is not self` (or"
    " `name` for $NAME),"
    " `the annotation is never evaluated` or `the function returns a value elsewhere`"
)

# What a value's syntax says its type is, and what an annotation's name says.
VALUE_TYPES = {
    "dictionary": "dict", "dictionary_comprehension": "dict",
    "list": "list", "list_comprehension": "list",
    "set": "set", "set_comprehension": "set",
    "tuple": "tuple",
    "string": "str", "concatenated_string": "str",
}  # fmt: skip
TYPE_NAMES = {
    "dict": "dict", "Dict": "dict",
    "list": "list", "List": "list",
    "set": "set", "Set": "set",
    "tuple": "tuple", "Tuple": "tuple",
    "str": "str",
}  # fmt: skip
SELF = "self"
STRING_KINDS = frozenset({"string", "concatenated_string"})
SPLAT_TYPES = {"list_splat_pattern": "tuple", "dictionary_splat_pattern": "dict"}
CALLABLE_TYPES = frozenset({"dict", "list", "set", "tuple", "str"})
SCOPES = frozenset({"function_definition", "lambda", "class_definition"})
FUNCTION_SCOPES = frozenset({"function_definition", "lambda"})
# Bindings of a name that are code, not a value the function computes.
NOT_VALUE_BINDINGS = frozenset({
    "function_definition", "class_definition", "aliased_import", "global_statement",
    "nonlocal_statement",
})  # fmt: skip
# Where an identifier is bound with a type this module does not read: the name becomes unknown.
OTHER_BINDINGS = frozenset({
    "parameters", "lambda_parameters", "default_parameter", "list_splat_pattern",
    "dictionary_splat_pattern", "pattern_list", "tuple_pattern", "list_pattern",
    "as_pattern_target", "aliased_import", "global_statement", "nonlocal_statement",
    "case_pattern", "keyword_pattern", "splat_pattern", "delete_statement",
})  # fmt: skip
# Bindings where only the node in this field of the parent is bound (the rest are reads).
BINDING_FIELDS = {
    "assignment": "left", "augmented_assignment": "left", "named_expression": "name",
    "for_statement": "left", "for_in_clause": "left", "default_parameter": "name",
    "function_definition": "name", "class_definition": "name",
}  # fmt: skip
IMPORTS = frozenset({"import_statement", "import_from_statement", "future_import_statement"})
# Generics whose arguments are values, not types (`Literal["a"]`), and those whose arguments
# after the first are (`Annotated[T, "meta"]`).
VALUE_GENERICS = frozenset({"Literal"})
METADATA_GENERICS = frozenset({"Annotated"})


class FactError(ValueError):
    """A fact that is not one of FACT's forms."""


@dataclass(frozen=True, slots=True)
class Surroundings:
    """What the code around an example said: its enclosing class and the known types of its names."""

    enclosing_class: str | None = None
    types: tuple[tuple[str, str], ...] = ()  # (name, type), sorted by name
    # Whether every annotation in the span is one Python never evaluates (so a quoted one may
    # lose its quotes; see `never_evaluated`); False when there is none; None: not read.
    unevaluated: bool | None = None
    # Whether the function the span sits in has a `return` with a value other than None
    # (see `returns_a_value`); None: not read.
    returns_value: bool | None = None
    # Names the span reads or assigns that a function around it binds as a value (a parameter,
    # an assignment, a loop or `with` target; not an import, a def, a class nor `global`): the
    # code's own choice of spelling, sorted.
    local_names: tuple[str, ...] = ()

    def type_of(self, name: str) -> str | None:
        return dict(self.types).get(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "enclosing_class": self.enclosing_class,
            "types": dict(self.types),
            "unevaluated": self.unevaluated,
            "returns_value": self.returns_value,
            "local_names": list(self.local_names),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Surroundings:
        unevaluated, returns_value = data.get("unevaluated"), data.get("returns_value")
        local_names = data.get("local_names")
        return cls(
            enclosing_class=data.get("enclosing_class"),
            types=tuple(sorted((str(k), str(v)) for k, v in (data.get("types") or {}).items())),
            unevaluated=unevaluated if isinstance(unevaluated, bool) else None,
            returns_value=returns_value if isinstance(returns_value, bool) else None,
            local_names=tuple(
                sorted({str(n) for n in local_names} if isinstance(local_names, list) else ())
            ),
        )


def parse_fact(fact: str) -> re.Match[str]:
    """The fact's parts (`name`, and `enclosing` or `type`); FactError when it is not a fact."""
    m = FACT.fullmatch(fact)
    if m is None:
        raise FactError(INVALID_FACT.format(fact=fact))
    return m


def holds(fact: str, match: SgNode) -> bool:
    """Whether `fact` is true of what the ast-grep match `match` captured, where it sits."""
    m = parse_fact(fact)
    if m.group("unevaluated"):
        return never_evaluated(match)
    if m.group("returns_value"):
        return returns_a_value(match)
    if (written := m.group("written")) is not None:
        return _written_holds(m, written, match)
    captured = match.get_match(m.group("name"))
    if captured is None:
        return False
    if m.group("enclosing"):
        return captured.text() == enclosing_class(match)
    if m.group("name_fact"):
        return is_name(captured.text())
    if m.group("names_type"):
        return names_a_type(captured)
    if m.group("not_string"):
        return not is_string(captured)
    if m.group("not_self"):
        return not is_self(captured)
    return known_type(captured) == m.group("type")


def _written_holds(m: re.Match[str], written: str, match: SgNode) -> bool:
    """A fact about a name the pattern spells out: true of every read of it in the match."""
    if m.group("enclosing"):
        return written == enclosing_class(match)
    if m.group("name_fact"):
        return is_name(written)
    if m.group("not_string"):
        return True  # a name is not a string
    if m.group("not_self"):
        return written != SELF
    reads = [
        n
        for n in [match, *match.find_all(kind="identifier")]
        if n.kind() == "identifier" and n.text() == written and not _is_binding(n)
    ]
    return bool(reads) and all(known_type(n) == m.group("type") for n in reads)


def postpones_annotations(root: SgNode) -> bool:
    """Whether the module has `from __future__ import annotations`."""
    return any(
        name.text() == "annotations"
        for statement in root.find_all(kind="future_import_statement")
        for name in statement.find_all(kind="dotted_name")
    )


def in_annotation(node: SgNode) -> bool:
    """Whether `node` is (in) a type annotation."""
    return _annotation_of(node) is not None


def never_evaluated(node: SgNode) -> bool:
    """Whether `node` is in an annotation Python never evaluates: any annotation in a module with
    `from __future__ import annotations`, and a variable's annotation inside a function body
    (PEP 526: evaluated at module and class level only). A def's annotations are evaluated."""
    annotation = _annotation_of(node)
    if annotation is None:
        return False
    if postpones_annotations(node.get_root().root()):
        return True
    holder = annotation.parent()
    return (
        holder is not None
        and holder.kind() == "assignment"
        and holder.field("type") == annotation
        and _owner(holder).kind() in ("function_definition", "lambda")
    )


def names_a_type(node: SgNode) -> bool:
    """Whether `node` (a string, or its content) is a quoted type in an annotation: a forward
    reference, not a value such as `Literal["a"]`'s or `Annotated[T, "meta"]`'s metadata."""
    string = node if node.kind() == "string" else node.parent()
    if string is None or string.kind() != "string" or not in_annotation(string):
        return False
    child = string
    for ancestor in string.ancestors():
        # `Literal["a"]` is a generic_type with a type_parameter; `typing.Literal["a"]` a subscript.
        generic = ancestor.parent() if ancestor.kind() == "type_parameter" else ancestor
        if ancestor.kind() in ("type_parameter", "subscript") and generic is not None:
            name = generic.children()[0].text().rsplit(".", 1)[-1]
            items = [c for c in ancestor.children() if c.is_named()]
            if ancestor.kind() == "subscript":
                items = items[1:]  # the subscripted value comes first
            if name in VALUE_GENERICS and any(_within(child, i) for i in items):
                return False
            if name in METADATA_GENERICS and items and not _within(child, items[0]):
                return False
        child = ancestor
    return True


def _annotation_of(node: SgNode) -> SgNode | None:
    """The whole annotation (the outermost `type` node) that holds `node`, or None."""
    found = node if node.kind() == "type" else None
    for ancestor in node.ancestors():
        if ancestor.kind() == "type":
            found = ancestor
    return found


def returns_a_value(node: SgNode) -> bool:
    """Whether the function `node` sits in has a `return` with a value other than `None` (its
    own, not a nested def's): there, a bare `return` hides that it returns None."""
    function = next((a for a in node.ancestors() if a.kind() == "function_definition"), None)
    if function is None:
        return False
    return any(
        (value := _return_value(r)) is not None and value.kind() != "none" and _owner(r) == function
        for r in function.find_all(kind="return_statement")
    )


def _return_value(statement: SgNode) -> SgNode | None:
    return next((c for c in statement.children() if c.is_named() and c.kind() != "comment"), None)


def is_string(node: SgNode) -> bool:
    """Whether `node` is a string literal, or a type that is one (`"A"` in `Union["A", B]`)."""
    while node.kind() == "type":
        named = [c for c in node.children() if c.is_named()]
        if len(named) != 1:
            return False
        node = named[0]
    return node.kind() in STRING_KINDS


def is_self(node: SgNode) -> bool:
    """Whether `node` is `self`: the instance of the class the code around it is writing, whose
    methods (`keys`, `__iter__`) may be anything but a builtin's."""
    return node.kind() == "identifier" and node.text() == SELF


def is_name(text: str) -> bool:
    """Whether `text` is spelled as a Python name (`collected_body`; not `a b`, not `class`)."""
    return text.isidentifier() and not keyword.iskeyword(text)


def enclosing_class(node: SgNode) -> str | None:
    """The name of the innermost class whose body holds `node` (a class is not in its own body)."""
    for ancestor in node.ancestors():
        if ancestor.kind() == "class_definition" and _within(node, ancestor.field("body")):
            name = ancestor.field("name")
            return name.text() if name is not None else None
    return None


def known_type(node: SgNode) -> str | None:
    """The builtin type every binding of the identifier `node` agrees on, or None."""
    if node.kind() != "identifier":
        return None
    name = node.text()
    scope: SgNode | None = _owner(node)
    while scope is not None:
        bindings = [
            _binding_type(n)
            for n in _identifiers(scope, name)
            if _is_binding(n) and _owner(n) == scope
        ]
        if bindings:
            first = bindings[0]
            return first if first is not None and all(b == first for b in bindings) else None
        # Not bound here: the name is the enclosing function's or the module's (a class body's
        # names are not visible from the functions inside it).
        scope = _outer_function_scope(scope)
    return None


def bound_in_function(node: SgNode) -> bool:
    """Whether the identifier `node` names a value a function binds: the scope that owns the
    name is a function (or lambda), and every binding of it there is a parameter, an assignment
    or a target (not an import, a nested def or class, nor `global`/`nonlocal`)."""
    if node.kind() != "identifier" or _spelling_only(node):
        return False
    name = node.text()
    scope: SgNode | None = _owner(node)
    while scope is not None:
        bindings = [n for n in _identifiers(scope, name) if _is_binding(n) and _owner(n) == scope]
        if bindings:
            return scope.kind() in FUNCTION_SCOPES and all(_binds_a_value(n) for n in bindings)
        scope = _outer_function_scope(scope)
    return False


def _spelling_only(node: SgNode) -> bool:
    """Whether the identifier `node` is an attribute's or a keyword argument's name: a spelling
    the code looks up, not a variable."""
    parent = node.parent()
    return parent is not None and (
        (parent.kind() == "attribute" and parent.field("attribute") == node)
        or (parent.kind() == "keyword_argument" and parent.field("name") == node)
    )


def _binds_a_value(binding: SgNode) -> bool:
    parent = binding.parent()
    if parent is None or any(a.kind() in IMPORTS for a in binding.ancestors()):
        return False
    return parent.kind() not in NOT_VALUE_BINDINGS


def surroundings_at(root: SgNode, start: int, end: int) -> Surroundings:
    """What surrounds the span [start, end) of the tree `root` (character offsets)."""
    inside = [
        n
        for n in root.find_all(kind="identifier")
        if start <= n.range().start.index and n.range().end.index <= end
    ]
    first = inside[0] if inside else _node_at(root, start)
    types: dict[str, str | None] = {}
    for n in inside:
        if _is_binding(n):
            continue
        found = known_type(n)
        # One name with two types inside one snippet (two scopes): neither is trusted.
        types[n.text()] = found if types.get(n.text(), found) == found else None
    local: dict[str, bool] = {}
    for n in inside:
        if not _spelling_only(n):
            # A name local in one scope of the snippet and not in another is not trusted either.
            local[n.text()] = local.get(n.text(), True) and bound_in_function(n)
    return Surroundings(
        enclosing_class=enclosing_class(first),
        types=tuple(sorted((k, v) for k, v in types.items() if v is not None)),
        unevaluated=_all_unevaluated(root, start, end),
        returns_value=returns_a_value(first),
        local_names=tuple(sorted(k for k, v in local.items() if v)),
    )


def _all_unevaluated(root: SgNode, start: int, end: int) -> bool:
    """Whether the span holds an annotation and Python never evaluates any of them."""
    annotations = [
        n
        for n in root.find_all(kind="type")
        if start <= n.range().start.index and n.range().end.index <= end and _annotation_of(n) == n
    ]
    return bool(annotations) and all(never_evaluated(n) for n in annotations)


def _node_at(root: SgNode, start: int) -> SgNode:
    """The deepest node that holds offset `start`."""
    node = root
    while True:
        inner = next(
            (c for c in node.children() if c.range().start.index <= start < c.range().end.index),
            None,
        )
        if inner is None:
            return node
        node = inner


def _owner(node: SgNode) -> SgNode:
    """The scope (function, lambda, class body or module) whose name `node` is.

    A def's name, decorators and defaults belong to the scope around it, its parameters and body
    to the def itself.
    """
    child = node
    for ancestor in node.ancestors():
        if ancestor.kind() in SCOPES:
            body = ancestor.field("body")
            params = ancestor.field("parameters")
            if _within(child, body) or (
                ancestor.kind() != "class_definition"
                and _within(child, params)
                and not _in_default(node, params)
            ):
                return ancestor
        child = ancestor
    return node.get_root().root()


def _in_default(node: SgNode, params: SgNode | None) -> bool:
    """Whether `node` is in a parameter's default value (evaluated in the scope around the def)."""
    if params is None:
        return False
    return any(
        p.kind() in ("default_parameter", "typed_default_parameter")
        and _within(node, p.field("value"))
        for p in params.children()
    )


def _within(node: SgNode, container: SgNode | None) -> bool:
    if container is None:
        return False
    r, c = node.range(), container.range()
    return c.start.index <= r.start.index and r.end.index <= c.end.index


def _outer_function_scope(scope: SgNode) -> SgNode | None:
    """The next scope out whose names a function body sees (classes skipped); None past the module."""
    if scope.parent() is None:
        return None
    outer = _owner(scope)
    while outer.kind() == "class_definition":
        outer = _owner(outer)
    return outer


def _identifiers(scope: SgNode, name: str) -> Iterator[SgNode]:
    for n in scope.find_all(kind="identifier"):
        if n.text() == name:
            yield n


def _is_binding(node: SgNode) -> bool:
    parent = node.parent()
    if parent is None:
        return False
    kind = parent.kind()
    if kind in BINDING_FIELDS:
        return parent.field(BINDING_FIELDS[kind]) == node
    if kind in ("typed_parameter", "typed_default_parameter"):
        return _parameter_name(parent) == node
    if kind in OTHER_BINDINGS:
        return True
    return any(a.kind() in IMPORTS for a in node.ancestors())


def _parameter_name(parameter: SgNode) -> SgNode | None:
    return next((c for c in parameter.children() if c.kind() == "identifier"), None)


def _binding_type(node: SgNode) -> str | None:
    """The type this binding of `node` gives it, or None when it says no builtin type."""
    parent = node.parent()
    assert parent is not None
    kind = parent.kind()
    if kind in ("typed_parameter", "typed_default_parameter"):
        return _annotation_type(parent.field("type"))
    if kind == "assignment":
        if (annotation := parent.field("type")) is not None:
            return _annotation_type(annotation)
        value = parent.field("right")
        while value is not None and value.kind() == "assignment":  # a = b = {}
            value = value.field("right")
        return _value_type(value)
    if kind == "named_expression":
        return _value_type(parent.field("value"))
    if kind in SPLAT_TYPES and (holder := parent.parent()) is not None:
        # `*args` and `**kwargs` of a def are a tuple and a dict; `a, *rest = x` is a list.
        return SPLAT_TYPES[kind] if holder.kind() in ("parameters", "lambda_parameters") else None
    return None


def _annotation_type(annotation: SgNode | None) -> str | None:
    if annotation is None:
        return None
    inner = (
        annotation.children()[0]
        if annotation.kind() == "type" and annotation.children()
        else annotation
    )
    if inner.kind() == "generic_type":
        inner = inner.children()[0]
    if inner.kind() == "attribute" and (obj := inner.field("object")) is not None:
        if obj.text() != "typing":
            return None
        inner = inner.field("attribute") or inner
    return TYPE_NAMES.get(inner.text()) if inner.kind() == "identifier" else None


def _value_type(value: SgNode | None) -> str | None:
    if value is None:
        return None
    if value.kind() in VALUE_TYPES:
        return VALUE_TYPES[value.kind()]
    function = value.field("function") if value.kind() == "call" else None
    if (
        function is not None
        and function.kind() == "identifier"
        and function.text() in CALLABLE_TYPES
    ):
        return function.text()
    return None
