"""Surroundings: the enclosing class and the types a name's bindings give it, read from the tree."""

from __future__ import annotations

import pytest
from ast_grep_py import SgNode, SgRoot

from bot.rules import Surroundings
from bot.rules.surroundings import (
    FactError,
    enclosing_class,
    holds,
    known_type,
    names_a_type,
    parse_fact,
    returns_a_value,
    surroundings_at,
)


def read_of(source: str, name: str, *, nth: int = -1) -> SgNode:
    """The `nth` read of `name` in `source` (the last by default): `name.get(...)` marks a read."""
    root = SgRoot(source, "python").root()
    reads = [m.get_match("A") for m in root.find_all(pattern="$A.get($$$)")]
    found = [r for r in reads if r is not None and r.text() == name]
    assert found, f"no read of {name}"
    return found[nth]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("d = {}\nd.get(1)\n", "dict"),
        ("d = {k: 1 for k in ks}\nd.get(1)\n", "dict"),
        ("d = dict(a=1)\nd.get(1)\n", "dict"),
        ("d: dict[str, int] = load()\nd.get(1)\n", "dict"),
        ("d: Dict[str, int] = load()\nd.get(1)\n", "dict"),
        ("d: typing.Dict = load()\nd.get(1)\n", "dict"),
        ("def f(d: dict):\n    d.get(1)\n", "dict"),
        ("def f(d: Dict[str, int] = None):\n    d.get(1)\n", "dict"),
        ("def f(**d):\n    d.get(1)\n", "dict"),
        ("def f(*d):\n    d.get(1)\n", "tuple"),
        ("d = e = {}\nd.get(1)\n", "dict"),
        ("if (d := {}):\n    d.get(1)\n", "dict"),
        ("d = []\nd = list()\nd.get(1)\n", "list"),
        ("d = {1, 2}\nd.get(1)\n", "set"),
        ("d = 'x'\nd.get(1)\n", "str"),
    ],
)
def test_bindings_that_name_a_builtin_type_give_it(source: str, expected: str) -> None:
    assert known_type(read_of(source, "d")) == expected


@pytest.mark.parametrize(
    "source",
    [
        "d = load()\nd.get(1)\n",  # a call of something else
        "for d in ds:\n    d.get(1)\n",  # a loop target
        "def f(d):\n    d.get(1)\n",  # a parameter without annotation
        "def f(d={}):\n    d.get(1)\n",  # a default is not a type
        "d = {}\nd = load()\nd.get(1)\n",  # bindings that disagree
        "import d\nd.get(1)\n",
        "d = {}\nd |= other\nd.get(1)\n",  # rebinding by an operator
        "d: Mapping[str, int] = {}\nd.get(1)\n",  # the annotation says Mapping, not dict
        "a, d = {}, {}\nd.get(1)\n",  # unpacking
        "d.get(1)\n",  # never bound here
    ],
)
def test_other_bindings_leave_the_type_unknown(source: str) -> None:
    assert known_type(read_of(source, "d")) is None


def test_a_name_is_looked_up_in_the_scope_that_owns_it() -> None:
    source = (
        "d = {}\n"
        "d.get(0)\n"
        "def local():\n"
        "    d = 3\n"
        "    d.get(1)\n"
        "def outer():\n"
        "    d.get(2)\n"
        "    def inner():\n"
        "        d.get(3)\n"
        "class K:\n"
        "    d = []\n"
        "    def method(self):\n"
        "        d.get(4)\n"
    )
    types = [known_type(read_of(source, "d", nth=i)) for i in range(5)]
    # A local rebinding hides the module's dict; functions without one see it, from any depth;
    # a class body's `d` is not visible from its methods.
    assert types == ["dict", None, "dict", "dict", "dict"]


def test_a_parameter_belongs_to_the_function_and_its_default_to_the_scope_around() -> None:
    source = "d = {}\ndef f(x=d.get(1), *, d: list):\n    d.get(2)\n"
    assert [known_type(read_of(source, "d", nth=i)) for i in range(2)] == ["dict", "list"]


def test_only_identifiers_have_known_types() -> None:
    root = SgRoot("self.d = {}\nself.d.get(1)\n", "python").root()
    match = root.find(pattern="$A.get($$$)")
    assert match is not None and known_type(match.get_match("A")) is None  # type: ignore[arg-type]


def test_enclosing_class_is_the_innermost_class_whose_body_holds_the_node() -> None:
    source = (
        "class Outer:\n"
        "    def m(self):\n"
        "        super(Outer, self).m()\n"
        "    class Inner(Base):\n"
        "        x = super(Inner, self)\n"
        "super(Top, self)\n"
    )
    root = SgRoot(source, "python").root()
    calls = root.find_all(pattern="super($A, self)")
    assert [enclosing_class(c) for c in calls] == ["Outer", "Inner", None]
    inner = root.find(pattern="class Inner($$$B): $$$C")
    assert inner is not None and enclosing_class(inner) == "Outer"  # not in its own body


def test_surroundings_of_a_span_name_the_class_and_the_known_types_read_there() -> None:
    source = (
        "OPTIONS = {}\n"
        "class C:\n"
        "    def m(self, seen: set, n):\n"
        "        return OPTIONS.get(n, None), seen, n\n"
    )
    start = source.index("return")
    end = source.index("\n", start)
    assert surroundings_at(SgRoot(source, "python").root(), start, end) == Surroundings(
        enclosing_class="C",
        types=(("OPTIONS", "dict"), ("seen", "set")),
        unevaluated=False,
        returns_value=True,
        # The method's parameters are its own names; `OPTIONS` is the module's.
        local_names=("n", "seen"),
    )
    top = source.index("OPTIONS = {}")
    read = surroundings_at(SgRoot(source, "python").root(), top, top + 12)
    assert read == Surroundings(unevaluated=False, returns_value=False)
    # `seen: set` is a def's annotation: evaluated, unless the module postpones annotations.
    param = source.index("seen: set")
    assert surroundings_at(SgRoot(source, "python").root(), param, param + 9).unevaluated is False
    future = "from __future__ import annotations\n" + source
    param = future.index("seen: set")
    assert surroundings_at(SgRoot(future, "python").root(), param, param + 9).unevaluated is True


LOCALS = (
    "import re\n"
    "LIMIT = 3\n"
    "def outer(arg, *rest):\n"
    "    import json\n"
    "    def helper():\n"
    "        return 1\n"
    "    global total\n"
    "    total = 0\n"
    "    count = 0\n"
    "    for item in rest:\n"
    "        pass\n"
    "    def inner():\n"
    "        return (arg, count, item, LIMIT, re.I, json, helper, total, len, obj.arg,"
    " f(count=1))\n"
    "    return inner\n"
)


def test_local_names_are_the_values_a_function_around_the_span_binds() -> None:
    start = LOCALS.index("(arg, count")
    end = LOCALS.index("\n", start)
    read = surroundings_at(SgRoot(LOCALS, "python").root(), start, end)
    # Parameters, assignments and loop targets of a function around it (here the enclosing
    # one's, read from a closure) are the code's own spellings. The module's names, imports
    # (even a function's), a nested def, a `global`, builtins and an attribute's or keyword's
    # name are not.
    assert read.local_names == ("arg", "count", "item")


def test_a_name_local_in_one_scope_of_the_span_and_not_another_is_not_local() -> None:
    source = "x = 1\nclass C:\n    y = x\n    def m(self, x):\n        return x\n"
    start = source.index("y = x")
    read = surroundings_at(SgRoot(source, "python").root(), start, len(source))
    assert "x" not in read.local_names and "self" in read.local_names


def test_surroundings_survive_a_round_trip_through_json() -> None:
    kept = Surroundings(
        enclosing_class="C",
        types=(("a", "dict"), ("b", "list")),
        unevaluated=True,
        returns_value=False,
        local_names=("a", "b"),
    )
    assert Surroundings.from_dict(kept.to_dict()) == kept
    # Stored before local names were read: none known, so none is generalised.
    assert Surroundings.from_dict({"enclosing_class": "C"}).local_names == ()
    assert Surroundings.from_dict({"local_names": "ab"}).local_names == ()
    # Stored before annotations and returns were read: not known, rather than false.
    assert Surroundings.from_dict({"enclosing_class": "C"}).unevaluated is None
    assert Surroundings.from_dict({"enclosing_class": "C"}).returns_value is None
    assert Surroundings.from_dict({"returns_value": "yes"}).returns_value is None
    assert Surroundings.from_dict({}) == Surroundings()


def test_facts_are_checked_against_what_a_match_captured() -> None:
    source = "class C:\n    def m(self, d: dict, e):\n        super(C, self).f(d.get(1, None), e.get(2, None))\n"
    root = SgRoot(source, "python").root()
    [call] = root.find_all(pattern="super($A, self)")
    assert holds("$A names the enclosing class", call)
    assert not holds("$A is a dict", call)
    gets = root.find_all(pattern="$D.get($K, None)")
    assert [holds("$D is a dict", g) for g in gets] == [True, False]
    assert not holds("$Z is a dict", gets[0])  # nothing captured under that name


@pytest.mark.parametrize("fact", ["$A is a frozenset", "A is a dict", "$A names a class", ""])
def test_an_unknown_fact_is_refused_with_the_forms_it_may_take(fact: str) -> None:
    with pytest.raises(FactError, match="expected `\\$NAME names the enclosing class`"):
        parse_fact(fact)


def test_a_name_fact_holds_for_a_capture_spelled_as_a_python_name() -> None:
    root = SgRoot('getattr(x, "ok")\ngetattr(x, "a b")\ngetattr(x, "class")\n', "python").root()
    matches = root.find_all(pattern='getattr($A, "$B")')
    assert [holds("$B is a name", m) for m in matches] == [True, False, False]


def test_a_fact_about_a_spelled_out_name_holds_for_every_read_of_it_in_the_match() -> None:
    root = SgRoot(
        "def f(options: dict, opts):\n    options.get('a', None)\n    opts.get('b', None)\n",
        "python",
    ).root()
    matches = root.find_all(pattern="$R.get($K, None)")
    assert [holds("`options` is a dict", m) for m in matches] == [True, False]
    assert parse_fact("`options` is a dict").group("written") == "options"


@pytest.mark.parametrize(
    ("source", "unevaluated"),
    [
        ("from __future__ import annotations\ndef f(t: 'T'): pass\n", True),
        ("from __future__ import division, annotations\ndef f(t: 'T'): pass\n", True),
        ("from __future__ import division\ndef f(t: 'T'): pass\n", False),
        ("import annotations\ndef f(t: 'T'): pass\n", False),
        ("def f() -> 'T': pass\n", False),
        # A variable's annotation: never evaluated in a function, evaluated in a class or module.
        ("def f(self):\n    self.x: Optional['T'] = None\n", True),
        ("def f():\n    x: 'T' = 1\n", True),
        ("class C:\n    x: 'T' = 1\n", False),
        ("x: 'T' = 1\n", False),
    ],
)
def test_an_annotation_is_never_evaluated_where_python_says_so(
    source: str, unevaluated: bool
) -> None:
    [quoted] = SgRoot(source, "python").root().find_all(pattern="'T'")
    assert holds("the annotation is never evaluated", quoted) is unevaluated
    assert parse_fact("the annotation is never evaluated").group("name") is None
    # Not in an annotation at all: the fact does not hold.
    [value] = SgRoot("y = 'T'\n" + source, "python").root().find_all(pattern="y = $V")
    assert not holds("the annotation is never evaluated", value)


def test_a_quoted_type_is_a_forward_reference_but_a_literal_value_is_not() -> None:
    source = (
        "x: Literal['a'] = 1\ny: Annotated['T', 'meta'] = 2\nz: typing.Literal['c'] = 3\n"
        "w: typing.Optional['V'] = 4\nv = 'S'\ndef f(a: 'U') -> dict[str, 'W']: pass\n"
    )
    contents = SgRoot(source, "python").root().find_all(kind="string_content")
    assert {c.text(): names_a_type(c) for c in contents} == {
        "a": False, "T": True, "meta": False, "c": False, "V": True, "S": False, "U": True, "W": True,
    }  # fmt: skip
    [quoted] = SgRoot("def f(a: 'U'): pass\n", "python").root().find_all(pattern="'$A'")
    assert holds("$A names a type", quoted)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def f(x):\n    if x:\n        return\n    return x\n", True),
        ("def f(x):\n    if x:\n        return\n    return None\n", False),
        ("def f(x):\n    if x:\n        return\n    x.close()\n", False),
        # A nested def's value is its own; so is a lambda's.
        ("def f(x):\n    def g():\n        return 1\n    if x:\n        return\n", False),
        ("def f(x):\n    g = lambda: 1\n    if x:\n        return\n", False),
        ("def f(x):\n    if x:\n        return\n    return (  # why\n        x\n    )\n", True),
    ],
)
def test_a_function_returns_a_value_when_a_return_of_its_own_has_one_other_than_none(
    source: str, expected: bool
) -> None:
    root = SgRoot(source, "python").root()
    bare = next(r for r in root.find_all(kind="return_statement") if r.text() == "return")
    assert returns_a_value(bare) is expected
    fact = "the function returns a value elsewhere"
    assert parse_fact(fact).group("returns_value")
    assert holds(fact, bare) is expected


def test_outside_a_function_nothing_returns_a_value() -> None:
    root = SgRoot("x = 1\n", "python").root()
    assert not returns_a_value(root.find_all(kind="integer")[0])


def test_a_capture_is_not_a_string_unless_it_is_a_string_literal_or_a_type_that_is_one() -> None:
    root = SgRoot('def f(a: Union["A", B], b: Union[C, "D" "E"]):\n    pass\n', "python").root()
    fact = "$X is not a string"
    assert parse_fact(fact).group("not_string")
    matches = root.find_all(pattern={"context": "x: Union[$X, $Y]", "selector": "generic_type"})
    assert [holds(fact, m) for m in matches] == [False, True]
    assert [holds("$Y is not a string", m) for m in matches] == [True, False]


def test_a_capture_is_not_self_unless_it_is_the_name_self() -> None:
    root = SgRoot("for k in self.keys(): pass\nfor k in self.d.keys(): pass\n", "python").root()
    fact = "$A is not self"
    assert parse_fact(fact).group("not_self")
    matches = root.find_all(pattern="$A.keys()")
    assert [m["A"].text() for m in matches] == ["self", "self.d"]
    assert [holds(fact, m) for m in matches] == [False, True]
    # A name the pattern spells out is not self unless it is `self`.
    assert [holds("`self` is not self", m) for m in matches] == [False, False]
    assert holds("`d` is not self", matches[0])
