"""The rule grammar's edges, every expectation written by hand.

Written to kill the mutants of ``src/lrkit/rules/`` that ``tests/test_rules.py`` left alive
(``python benchmarks/mutation.py rules``): bounds that are allowed (decay 1, layer id 0, exactly
``limit`` names), the printed table with and without layer ids, ``Rule.selects`` by the leaf's own
separator, and every message naming its owner and argument.
"""

from __future__ import annotations

import os

import pytest

from lrkit import rules
from lrkit.rules import DOTS, SLASHES, Group, Leaf, Match, Row, Rule, assign, check_decay, short_list
from lrkit.rules.result import format_table


# -- layer decay ---------------------------------------------------------------------------------
def test_decay_bounds_and_messages() -> None:
    assert check_decay(1, "f") == 1.0 and check_decay(0.5, "f") == 0.5
    for bad in (1.5, 1.0001, 0, -0.5):
        with pytest.raises(ValueError, match=rf"^f: decay must be in \(0, 1\], got {bad}$"):
            check_decay(bad, "f")
    with pytest.raises(TypeError, match=r"^f: decay must be a number, got 'a' \(str\)"):
        check_decay("a", "f")
    # decay 1: every layer keeps its rule's multiplier
    leaves = [Leaf("blocks.0.w", ".", (2, 2)), Leaf("blocks.1.w", ".", (2, 2))]
    assert assign(leaves, decay=1.0).multipliers() == {"blocks.0.w": (1.0, 1.0), "blocks.1.w": (1.0, 1.0)}


def test_short_list_cuts_after_limit() -> None:
    names = [f"n{i}" for i in range(4)]
    assert short_list(names, 4) == "n0, n1, n2, n3"
    assert short_list(names, 3) == "n0, n1, n2 ... and 1 more"
    assert short_list([f"n{i}" for i in range(20)]) == ", ".join(f"n{i}" for i in range(20))
    assert short_list([f"n{i}" for i in range(22)]).endswith("n19 ... and 2 more")


def test_layer_ids_bounds_and_messages() -> None:
    leaves = [Leaf("a.weight", ".", (2,)), Leaf("b.weight", ".", (2,))]
    # id 0 is a valid explicit id, from a callable and from a mapping
    assert rules.resolve_layer_ids(leaves, lambda n: 0, "none") == {"a.weight": 0, "b.weight": 0}
    assert rules.resolve_layer_ids(leaves, {"a": 0, "b": 1}, "none") == {"a.weight": 0, "b.weight": 1}
    with pytest.raises(ValueError, match=r"^ld: layer_ids\('a.weight'\) must be >= 0, got -1$"):
        rules.resolve_layer_ids(leaves, lambda n: -1, "none", owner="ld")
    with pytest.raises(TypeError, match=r"^ld: layer_ids\('a.weight'\) must be an integer"):
        rules.resolve_layer_ids(leaves, lambda n: 0.5, "none", owner="ld")
    with pytest.raises(ValueError, match=r"^ld: layer_ids must be a non-empty pattern, got ''$"):
        rules.resolve_layer_ids(leaves, {"": 0}, "none", owner="ld")
    # the default owner, and the reason when automatic ids exist but miss a leaf
    with pytest.raises(ValueError, match=(
            r"^layer_decay: no layer id for b.weight: the automatic assignment does not cover them; "
            r"pass layer_ids=\{pattern: id\} or a callable name -> id$")):
        rules.resolve_layer_ids(leaves, None, {"a.weight": 1})
    with pytest.raises(ValueError, match=r"^layer_decay: no layer id for a.weight, b.weight: no stack here;"):
        rules.resolve_layer_ids(leaves, None, "no stack here")


# -- the table -----------------------------------------------------------------------------------
def _row(name: str, layer: int | None, group: str = "g", lr: float = 1.0, wd: float = 1.0) -> Row:
    leaf = Leaf(name, ".", (2, 2))
    return Row(name, group, lr, wd, layer, leaf, Match(leaf, None, "train"))


def test_table_with_a_layer_column_by_hand() -> None:
    table = format_table([_row("a.w", 0, "layer_0", 0.25), _row("b.w", None, "x", 1.0, 0.0)], ["c.w"])
    assert table == (
        "parameter  layer  group     lr_scale  wd_scale\n"
        "---------  -----  --------  --------  --------\n"
        "a.w        0      layer_0       0.25         1\n"
        "b.w               x                1         0\n"
        "c.w               (frozen)         0         0")


def test_empty_table_is_the_header() -> None:
    assert format_table([], []) == (
        "parameter  group  lr_scale  wd_scale\n"
        "---------  -----  --------  --------")
    assert format_table([], ["z"]) == (
        "parameter  group     lr_scale  wd_scale\n"
        "---------  --------  --------  --------\n"
        "z          (frozen)         0         0")


def test_group_records() -> None:
    g = Group("x", 0.5, 1.0, 2, [_row("a.w", 2), _row("b.w", 2)])
    assert g.names == ["a.w", "b.w"] and [leaf.name for leaf in g.leaves] == ["a.w", "b.w"]


# -- a rule selecting a leaf ---------------------------------------------------------------------
def test_rule_selects_by_the_leafs_own_separator() -> None:
    keras_leaf = Leaf("encoder/block_0/dense/kernel", "/", (2, 2))
    torch_leaf = Leaf("encoder.block_0.dense.weight", ".", (2, 2))
    rule = Rule("encoder/block_0")
    assert rule.selects(keras_leaf) is True  # "/" cuts the name: a prefix matches
    assert rule.selects(keras_leaf, SLASHES) is True
    assert rule.selects(keras_leaf, DOTS) is False  # no "." in the name: only the whole name
    assert Rule("encoder.block_0").selects(torch_leaf) is True
    assert Rule("encoder.block_0").selects(keras_leaf) is False


# -- assign: what it passes on -------------------------------------------------------------------
# mutmut 3 runs every function through a trampoline (extra stack frames): a warning's stacklevel
# cannot be checked there, only in an ordinary run
UNDER_MUTMUT = f"{os.sep}mutants{os.sep}" in rules.__file__


def _adapter(leaves, rules_):
    return assign(leaves, rules_)  # an adapter's public function calling assign with the defaults


def test_unused_rule_warning_points_at_the_adapters_caller() -> None:
    with pytest.warns(UserWarning, match=r"^param_groups: rules matching no parameter: nothing$") as rec:
        _adapter([Leaf("a.w", ".", (2, 2))], {"nothing": 2.0})  # this line
    if UNDER_MUTMUT:
        return
    assert rec[0].filename == __file__
    import inspect
    src = inspect.getsource(test_unused_rule_warning_points_at_the_adapters_caller).splitlines()
    first = inspect.getsourcelines(test_unused_rule_warning_points_at_the_adapters_caller)[1]
    assert src[rec[0].lineno - first].strip().endswith("# this line")


def test_assign_passes_strict_convention_no_decay_and_owner() -> None:
    leaves = [Leaf("a.w", ".", (2, 2)), Leaf("a.bias", ".", (2,)), Leaf("b.w", ".", (2, 2))]
    with pytest.raises(ValueError, match=r"^f \(strict\): matched by no rule: b.w$"):
        assign(leaves, {"a": 2.0}, strict=True, owner="f")
    with pytest.raises(ValueError, match=r"^param_groups: decay must be in \(0, 1\], got 2$"):
        assign(leaves, decay=2)
    slashed = [Leaf("enc/block_0/k", "/", (2, 2)), Leaf("enc/block_1/k", "/", (2, 2))]
    got = assign(slashed, {"enc/block_0": 2.0}, convention=SLASHES)
    assert got.multipliers() == {"enc/block_0/k": (2.0, 1.0), "enc/block_1/k": (1.0, 1.0)}
    assert assign(leaves, no_decay=None).multipliers()["a.bias"] == (1.0, 1.0)
    assert assign(leaves).multipliers()["a.bias"] == (1.0, 0.0)


def test_assign_uses_the_stack_it_is_given() -> None:
    leaves = [Leaf("blocks.0.w", ".", (2, 2)), Leaf("blocks.1.w", ".", (2, 2)), Leaf("head.w", ".", (2, 2))]
    # the adapter knows better: the model itself is a stack of three blocks
    stack = rules.Stack(("blocks.0", "blocks.1", "head"), root=True, name="model")
    got = assign(leaves, decay=0.5, stack=stack)
    assert {r.name: r.layer_id for r in got.rows} == {"blocks.0.w": 0, "blocks.1.w": 1, "head.w": 2}
    with pytest.raises(ValueError, match=r"^f: no layer id for .*: the adapter found no stack;"):
        assign(leaves, decay=0.5, stack="the adapter found no stack", owner="f")


def test_top_bounds_and_an_all_frozen_model() -> None:
    embed = [Leaf("embed.weight", ".", (4, 2), is_embedding=True)]
    ids = {"embed": 0}
    assert assign(embed, decay=0.5, layer_ids=ids, top=0).multipliers() == {"embed.weight": (1.0, 0.0)}
    assert assign(embed, decay=0.5, layer_ids=ids, top=2).multipliers() == {"embed.weight": (0.25, 0.0)}
    with pytest.raises(ValueError, match=r"^f: top must be >= 0, got -1$"):
        assign(embed, decay=0.5, layer_ids=ids, top=-1, owner="f")
    with pytest.raises(TypeError, match=r"^f: top must be an integer"):
        assign(embed, decay=0.5, layer_ids=ids, top=1.5, owner="f")
    frozen = [Leaf("a.w", ".", (2, 2), trainable=False)]
    got = assign(frozen, decay=0.5)  # no trainable leaf: no ids, nothing to scale
    assert got.rows == [] and got.frozen == ["a.w"]


def test_groups_under_layer_decay_name_the_owner_on_a_clash() -> None:
    leaves = [Leaf("blocks.0.w", ".", (2, 2)), Leaf("blocks.0.v", ".", (2, 2))]
    clash = [Rule("blocks.0.w", lr_mult=2.0, name="x"), Rule("blocks.0.v", lr_mult=3.0, name="x")]
    with pytest.raises(ValueError, match=r"^f: two groups named 'layer_0.x' have different multipliers"):
        assign(leaves, clash, decay=0.5, layer_ids={"*": 0}, owner="f")
    matches = rules.match_rules(leaves, clash)
    with pytest.raises(ValueError, match=r"^rules: two groups named 'x' have different multipliers"):
        rules.assign_groups(matches)


def test_assign_groups_by_hand() -> None:
    leaves = [Leaf("a.w", ".", (2, 2), trainable=False), Leaf("b.w", ".", (2, 2)), Leaf("c.w", ".", (2, 2))]
    matches = rules.match_rules(leaves, {"b": 3.0, "c": 1.0})
    # layer ids without a layer scale: the rule's multiplier alone
    got = rules.assign_groups(matches, layer_of={"b.w": 1, "c.w": 0})
    assert [(r.name, r.layer_id, r.lr_scale) for r in got.rows] == [("c.w", 0, 1.0), ("b.w", 1, 3.0)]
    assert [(g.name, g.lr_scale, g.weight_decay_scale, g.layer_id) for g in got.groups] == [
        ("layer_0.c", 1.0, 1.0, 0), ("layer_1.b", 3.0, 1.0, 1)]
    assert got.frozen == ["a.w"]  # a frozen leaf first does not end the grouping
    got = rules.assign_groups(matches, layer_of={"b.w": 1, "c.w": 0},
                              layer_scale=lambda lid: 0.5 ** (1 - lid))
    assert [(g.name, g.lr_scale) for g in got.groups] == [("layer_0.c", 0.5), ("layer_1.b", 3.0)]


# -- patterns, rules, layer ids ------------------------------------------------------------------
class _Layer:
    pass


def test_matcher_takes_class_names_for_owners_without_objects() -> None:
    m = rules.compile_pattern("class:LayerNorm*")
    assert m("ln.scale", None, classes=["LayerNormalization", "Layer"]) is True
    assert m("ln.scale", None, classes=["Dense"]) is False
    assert m("ln.scale") is False


def test_rule_matchers_are_cached_and_checked_for_the_convention() -> None:
    rule = Rule(["a", "re:b$"])
    first = rule.matchers(DOTS)
    assert rule.matchers(DOTS) is first and rule.matchers(SLASHES) is not first
    assert [m.text for m in first] == ["a", "re:b$"]
    with pytest.raises(TypeError, match=r"^Rule: match must name Layer subclasses, got int$"):
        Rule(int).matchers(rules.Convention(".", _Layer, "Layer"))


def test_an_embedding_after_the_stack_gets_id_zero() -> None:
    leaves = [Leaf("blocks.0.w", ".", (2, 2)), Leaf("blocks.1.w", ".", (2, 2)),
              Leaf("tied.table", ".", (5, 2), is_embedding=True), Leaf("head.w", ".", (2, 2))]
    assert rules.auto_layer_ids(leaves) == {"blocks.0.w": 1, "blocks.1.w": 2, "tied.table": 0, "head.w": 3}


# -- no-decay tests ------------------------------------------------------------------------------
def test_no_decay_forms_by_hand() -> None:
    bias, gain = Leaf("fc.bias", ".", (4,)), Leaf("ln.scale", ".", (4,))
    kernel = Leaf("fc.weight", ".", (4, 4))
    for off in (None, False):
        assert [rules.no_decay_test(off)(x) for x in (bias, gain, kernel)] == [False, False, False]
    assert [rules.no_decay_test("auto")(x) for x in (bias, gain, kernel)] == [True, True, False]
    # patterns replace the automatic test; "auto" in the list adds it back
    assert [rules.no_decay_test("*.gamma")(x) for x in (bias, gain, kernel)] == [False, False, False]
    assert [rules.no_decay_test("fc")(x) for x in (bias, gain, kernel)] == [True, False, True]
    assert [rules.no_decay_test(["auto", "fc.weight"])(x) for x in (bias, gain, kernel)] == [True, True, True]
    named_auto = Leaf("auto.weight", ".", (4, 4))  # "auto" in the list is the keyword, not a glob
    assert rules.no_decay_test(["auto"])(named_auto) is False
    # the separator of the convention cuts the names
    slashed = Leaf("enc/ln/kernel", "/", (4, 4))
    assert rules.no_decay_test(["enc/ln"], SLASHES)(slashed) is True
    m = rules.match_rules([slashed], None, convention=SLASHES, no_decay=["enc/ln"])
    assert m[0].no_decay is True and m[0].decay_mult == 0.0


def test_no_decay_messages() -> None:
    with pytest.raises(ValueError, match=r"^no_decay\[0\] must be a non-empty pattern, got ''$"):
        rules.no_decay_test([""])
    with pytest.raises(TypeError, match=r"^f: no_decay must be a glob string"):
        rules.no_decay_test(3, owner="f")
    with pytest.raises(TypeError, match=r"^f: no_decay\[0\] must name Layer subclasses, got int$"):
        rules.no_decay_test([int], rules.Convention(".", _Layer, "Layer"), owner="f")
    with pytest.raises(TypeError, match=r"^f: no_decay\[1\] must be a glob string"):
        rules.match_rules([Leaf("a.w", ".", (2, 2))], None, no_decay=["a", 3], owner="f")


# -- match_rules ---------------------------------------------------------------------------------
def _adapter_matching(leaves, rules_):
    return rules.match_rules(leaves, rules_)


def test_match_rules_warning_location_and_silence() -> None:
    import warnings

    leaves = [Leaf("a.w", ".", (2, 2))]
    with pytest.warns(UserWarning, match=r"^rules: rules matching no parameter: zz$") as rec:
        _adapter_matching(leaves, {"zz": 2.0})
    assert UNDER_MUTMUT or rec[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every rule used: no warning at all
        rules.match_rules(leaves, {"a": 2.0})
        rules.match_rules(leaves, None)
    with pytest.raises(ValueError, match=r"^rules \(strict\): rules matching no parameter: zz$"):
        rules.match_rules(leaves, [Rule("a"), Rule("zz")], strict=True)


def test_frozen_and_freeze_matches_by_hand() -> None:
    freeze = Rule("a", freeze=True)
    keep = Rule("b", lr_mult=3.0, decay_mult=0.5)
    leaves = [Leaf("a.w", ".", (2, 2)), Leaf("b.w", ".", (2, 2), trainable=False)]
    a, b = rules.match_rules(leaves, [freeze, keep])
    assert (a.status, a.rule, a.lr_mult, a.decay_mult) == ("freeze", freeze, 0.0, 0.0)
    assert (b.status, b.rule, b.lr_mult, b.decay_mult) == ("frozen", keep, 0.0, 0.0)


# -- find_stack ----------------------------------------------------------------------------------
def _stack(spec, sep=None):
    return rules.find_stack([Leaf(n, ".", (s,)) for n, s in spec], sep)


def test_find_stack_weights_by_hand() -> None:
    # rival weight 4 < 0.2 * 24 = 4.8: not a rival
    got = _stack([("blocks.0.w", 12), ("blocks.1.w", 12), ("layers.0.w", 2), ("layers.1.w", 2)])
    assert got.name == "blocks"
    # rival weight exactly 0.2 * 10: a rival
    assert _stack([("a.0.w", 5), ("a.1.w", 5), ("b.0.w", 1), ("b.1.w", 1)]) == (
        "the model has several numbered stacks (a, b), so the layer order is ambiguous")
    # the weight is the sum of sizes: a = 12 > b = 10 (its last leaf alone is smaller)
    assert _stack([("a.0.w", 4), ("a.0.v", 4), ("a.1.w", 4), ("b.0.w", 5), ("b.1.w", 5)]) == (
        "the model has several numbered stacks (a, b), so the layer order is ambiguous")


def test_find_stack_root_and_nested_stacks_by_hand() -> None:
    # the model itself is the heaviest stack: the root-level layers_N stack lies inside it
    got = _stack([("0.w", 10), ("1.w", 10), ("layers_0.w", 5), ("layers_1.w", 5)])
    assert (got.blocks, got.root) == (("0", "1"), True)
    # a root stack lighter than a named one is not its rival either
    got = _stack([("layers_0.w", 10), ("layers_1.w", 10), ("0.w", 5), ("1.w", 5)])
    assert (got.blocks, got.root, got.name) == (("layers_0", "layers_1"), False, "layers_N")
    # a skipped stack (root, nested) does not end the search for real rivals after it
    assert _stack([("layers_0.w", 10), ("layers_1.w", 10), ("0.w", 5), ("1.w", 5), ("head.0.w", 5),
                   ("head.1.w", 5)]) == (
        "the model has several numbered stacks (layers_N, head), so the layer order is ambiguous")
    assert _stack([("blocks.0.w", 10), ("blocks.0.sub.0.w", 3), ("blocks.0.sub.1.w", 3), ("blocks.1.w", 10),
                   ("layers.0.w", 5), ("layers.1.w", 5)]) == (
        "the model has several numbered stacks (blocks, layers), so the layer order is ambiguous")


def test_find_stack_separator_argument() -> None:
    leaves = [Leaf("blocks/0/w", ".", (2,)), Leaf("blocks/1/w", ".", (2,))]
    assert rules.find_stack(leaves, "/").blocks == ("blocks/0", "blocks/1")
    assert rules.find_stack(leaves) == rules.layers.NO_STACK


# -- patterns ------------------------------------------------------------------------------------
def test_prefixes_and_describe_by_hand() -> None:
    assert list(rules.prefixes("a.b.c")) == ["a", "a.b", "a.b.c"]
    assert list(rules.prefixes("a/b", "/")) == ["a", "a/b"]
    assert list(rules.prefixes("a/b")) == ["a/b"]
    assert rules.describe((int, str)) == "int|str"


class _Dense(_Layer):
    pass


class _Norm(_Layer):
    pass


def test_an_alias_matches_by_its_own_owner() -> None:
    leaf = Leaf("enc.w", ".", (2, 2), owner=_Dense(), aliases=[("dec.w", _Norm())])
    assert rules.compile_pattern(_Norm).leaf(leaf) is True
    assert rules.compile_pattern(_Dense).leaf(leaf) is True
    assert rules.compile_pattern("dec").leaf(leaf) is True


def test_rule_match_messages() -> None:
    with pytest.raises(TypeError, match=r"^Rule: match must be a glob string, .* got 3 \(int\)$"):
        Rule(3)
    with pytest.raises(TypeError, match=r"^Rule: match\[0\] must be a glob string"):
        Rule([3])
    with pytest.raises(ValueError, match=r"^Rule: match must be a pattern or a non-empty list of patterns, "
                                         r"got \[\]$"):
        Rule([])


def test_as_patterns_by_hand() -> None:
    assert rules.as_patterns(None, "m") == []
    assert rules.as_patterns((int, str), "m") == [(int, str)]  # a tuple of classes is one pattern
    assert rules.as_patterns(("a", "b"), "m") == ["a", "b"]
    with pytest.raises(ValueError, match=r"^f: m must be a non-empty pattern, got ''$"):
        rules.as_patterns("", "m", "f")
    with pytest.raises(ValueError, match=r"^m must be a non-empty pattern, got ''$"):
        rules.as_patterns("", "m")
    with pytest.raises(TypeError, match=r"^f: m must be a glob string, .* got \{'a': 1\} \(dict\)$"):
        rules.as_patterns({"a": 1}, "m", "f")
    with pytest.raises(TypeError, match=r"^f: m must be a glob string, .* or an Layer type, got 3 \(int\)$"):
        rules.as_patterns(3, "m", "f", rules.Convention(".", _Layer, "Layer"))


def test_matcher_records_and_defaults() -> None:
    import re

    patterns = ("a", "re:x$", re.compile("y"), "class:N*", (int, str))
    got = [(m.text, m.kind) for m in map(rules.compile_pattern, patterns)]
    assert got == [("a", "glob"), ("re:x$", "regex"), ("re:y", "regex"), ("class:N*", "class"),
                   ("int|str", "type")]
    assert repr(rules.compile_pattern("a.*")) == "Matcher('a.*')"
    with pytest.raises(ValueError, match=r"^pattern must be a non-empty pattern, got ''$"):
        rules.compile_pattern("")
    with pytest.raises(TypeError, match=r"^pattern must be a glob string, .* got \(\) \(tuple\)$"):
        rules.compile_pattern(())  # an empty tuple names no class
    one = rules.compile_pattern((int,))
    assert one("x", 3) is True and one("x", "s") is False
    # a tuple of classes checked against the convention's base, each class
    both = rules.compile_pattern((_Dense, _Norm), rules.Convention(".", _Layer, "Layer"))
    assert both("x", _Norm()) is True and both("x", _Layer()) is False


def test_glob_prefixes_at_every_separator() -> None:
    assert rules.compile_pattern("a.")("a..b") is True  # the prefix cut at the second "."
    assert rules.compile_pattern("a.b")("a.b.c.d") is True


def test_convention_separator_is_one_character() -> None:
    for bad in ("ab", "", 3):
        with pytest.raises(ValueError, match=r"^Convention: sep must be one character, got "):
            rules.Convention(bad)


def test_assign_layer_ids_with_the_convention_and_rows() -> None:
    slashed = [Leaf("enc/block_0/k", "/", (2, 2)), Leaf("enc/block_1/k", "/", (2, 2))]
    # ids against the automatic order, so that only the patterns cut at "/" can give them
    got = assign(slashed, decay=0.5, layer_ids={"enc/block_0": 1, "enc/block_1": 0}, convention=SLASHES)
    assert got.multipliers() == {"enc/block_0/k": (1.0, 1.0), "enc/block_1/k": (0.5, 1.0)}
    row = got.rows[1]
    assert row.leaf is slashed[0] and row.match.leaf is slashed[0] and row.match.status == "train"
    leaves = [Leaf("blocks.0.w", ".", (2, 2)), Leaf("blocks.0.v", ".", (2, 2))]
    clash = [Rule("blocks.0.w", lr_mult=2.0, name="x"), Rule("blocks.0.v", lr_mult=3.0, name="x")]
    with pytest.raises(ValueError, match=(
            r"^f: two groups named 'x' have different multipliers \(lr_scale/weight_decay_scale "
            r"\(2.0, 1.0\) vs \(3.0, 1.0\)\); give the rules distinct names$")):
        assign(leaves, clash, owner="f")


def test_rule_multiplier_messages() -> None:
    with pytest.raises(ValueError, match=r"^Rule: decay_mult must be >= 0, got -1$"):
        Rule("a", decay_mult=-1)
    with pytest.raises(ValueError, match=r"^Rule: lr_mult must be >= 0, got -2$"):
        Rule("a", lr_mult=-2)
    assert Rule("a", decay_mult=0).decay_mult == 0


def test_a_leaf_after_a_root_stack_shares_the_last_blocks_id_by_hand() -> None:
    # the model is the stack: blocks 0 and 1 are ids 0 and 1 (numbered from 0), the leaf after
    # them takes the last block's id (1), as the module docstring states; a named stack puts it
    # one above its last block (blocks 1..n, top n + 1)
    leaves = [rules.Leaf("0.weight", shape=(2, 2)), rules.Leaf("1.weight", shape=(2, 2)),
              rules.Leaf("norm.weight", shape=(2,))]
    root = rules.Stack(("0", "1"), root=True, name="model")
    assert rules.auto_layer_ids(leaves, root) == {"0.weight": 0, "1.weight": 1, "norm.weight": 1}
    named = [rules.Leaf("emb.weight", shape=(2, 2)), rules.Leaf("blocks.0.w", shape=(2, 2)),
             rules.Leaf("blocks.1.w", shape=(2, 2)), rules.Leaf("norm.weight", shape=(2,))]
    stack = rules.Stack(("blocks.0", "blocks.1"), root=False, name="blocks")
    assert rules.auto_layer_ids(named, stack) == {"emb.weight": 0, "blocks.0.w": 1, "blocks.1.w": 2,
                                                   "norm.weight": 3}
