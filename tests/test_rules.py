"""The framework-free rule grammar (lrkit.rules): every expectation below is written by hand."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from lrkit import rules
from lrkit.rules import (
    DOTS,
    SLASHES,
    Convention,
    Leaf,
    Rule,
    Stack,
    assign,
    auto_layer_ids,
    compile_pattern,
    find_stack,
    is_no_decay,
    match_rules,
    parse_rules,
)


def test_importing_the_rules_imports_no_framework():
    code = ("import sys, lrkit.rules\n"
            "print(','.join(m for m in ('torch', 'jax', 'keras', 'tensorflow', 'optax', 'flax') "
            "if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# -- patterns -------------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern, name, expected", [
    ("fc", "fc.weight", True),                    # a prefix cut at the separator
    ("fc", "fc2.weight", False),                  # ...not a prefix of a component
    ("fc", "head.fc.weight", False),              # a glob is anchored at the start
    ("fc.weight", "fc.weight", True),             # the whole name
    ("encoder.layers.0", "encoder.layers.0.linear1.weight", True),
    ("encoder.layers.0", "encoder.layers.01.linear1.weight", False),
    ("*.bias", "blocks.3.attn.bias", True),
    ("*.bias", "blocks.3.bias_k", False),
    ("blocks.[0-3]", "blocks.2.mlp.weight", True),
    ("blocks.[0-3]", "blocks.4.mlp.weight", False),
    ("blocks.?.mlp", "blocks.7.mlp.fc1.weight", True),
    ("*", "anything.at.all", True),
])
def test_glob_matches_the_whole_name_or_a_dotted_prefix(pattern, name, expected):
    assert compile_pattern(pattern)(name) is expected


@pytest.mark.parametrize("pattern, name, dots, slashes", [
    ("encoder/block_0", "encoder/block_0/dense/kernel", False, True),
    ("encoder/block_0", "encoder/block_01/dense/kernel", False, False),
    ("params/Dense_0", "params/Dense_0/kernel", False, True),
    ("*/kernel", "params/Dense_0/kernel", True, True),    # '*' crosses separators (fnmatch)
    ("encoder.block", "encoder.block.weight", True, False),  # with '/' names, '.' is an ordinary char
])
def test_the_separator_decides_the_prefixes(pattern, name, dots, slashes):
    assert compile_pattern(pattern, DOTS)(name) is dots
    assert compile_pattern(pattern, SLASHES)(name) is slashes


def test_regex_patterns_search_anywhere():
    assert compile_pattern(r"re:^blocks\.[0-5]\.")("blocks.5.mlp.weight")
    assert not compile_pattern(r"re:^blocks\.[0-5]\.")("blocks.6.mlp.weight")
    assert compile_pattern("re:attn")("blocks.1.attn.qkv.weight")       # search, not match
    assert compile_pattern(re.compile(r"norm\d?\.weight$"))("enc.norm2.weight")
    assert not compile_pattern(re.compile(r"norm\d?\.weight$"))("enc.norm2.bias")


class Layer:
    pass


class Norm(Layer):
    pass


class LayerNormalization(Norm):
    pass


class Dense(Layer):
    pass


def test_class_patterns_by_type_and_by_name():
    owner = LayerNormalization()
    assert compile_pattern(Norm)("x.gamma", owner)
    assert not compile_pattern(Dense)("x.gamma", owner)
    assert compile_pattern((Dense, Norm))("x.gamma", owner)
    assert not compile_pattern(Norm)("x.gamma", None)                   # no owner, no class
    assert compile_pattern("class:LayerNormalization")("x", owner)
    assert compile_pattern("class:Norm")("x", owner)                    # any class of the chain
    assert compile_pattern("class:*Norm*")("x", owner)
    assert not compile_pattern("class:Dense")("x", owner)
    # an owner without an object (a Flax Linen dict) can still carry its class names
    leaf = Leaf("params/LayerNorm_0/scale", "/", (8,), classes=("LayerNorm",))
    assert compile_pattern("class:LayerNorm", SLASHES).leaf(leaf)
    # a bare string is a glob on names, never a class name
    assert not compile_pattern("LayerNormalization")("x", owner)


def test_the_convention_restricts_class_patterns_to_its_base():
    conv = Convention("/", Layer, "keras.layers.Layer")
    assert compile_pattern(Dense, conv)("d/kernel", Dense())
    with pytest.raises(TypeError, match=r"^param_groups: match must name keras.layers.Layer subclasses, "
                                        r"got int$"):
        compile_pattern(int, conv, "match", "param_groups")
    # without a base any class is accepted
    assert compile_pattern(int)("x", 3)


@pytest.mark.parametrize("pattern, exc, words", [
    ("", ValueError, "f: rules[0] must be a non-empty pattern, got ''"),
    ("re:(", ValueError, "f: rules[0] is not a valid regular expression: 're:('"),
    ("class:", ValueError, "f: rules[0] must name a class after 'class:'"),
    (3, TypeError, "f: rules[0] must be a glob string, 're:<regex>', 'class:<name>', a compiled regex or a "
                   "class, got 3 (int)"),
    (None, TypeError, "got None (NoneType)"),
])
def test_bad_patterns_name_the_argument(pattern, exc, words):
    with pytest.raises(exc) as e:
        compile_pattern(pattern, DOTS, "rules[0]", "f")
    assert words in str(e.value)


def test_as_patterns_checks_every_item_by_index():
    assert rules.as_patterns(None, "p") == []
    assert rules.as_patterns("fc", "p") == ["fc"]
    assert rules.as_patterns(("a", "b"), "p") == ["a", "b"]
    with pytest.raises(TypeError, match=r"freeze: patterns\[1\] must be a glob string"):
        rules.as_patterns(["fc", 2.5], "patterns", "freeze")


def test_a_leaf_matches_by_any_alias():
    shared = Leaf("emb.weight", ".", (20, 8), aliases=[("out.weight", None)])
    assert compile_pattern("out").leaf(shared)
    assert compile_pattern("emb").leaf(shared)
    assert not compile_pattern("body").leaf(shared)
    assert shared.names == ["emb.weight", "out.weight"]


def test_leaf_defaults():
    leaf = Leaf("encoder/dense/bias", "/", (4,))
    assert (leaf.local, leaf.is_bias, leaf.ndim, leaf.size) == ("bias", True, 1, 4)
    k = Leaf("encoder/dense/kernel", "/", [4, 3], owner=Dense())
    assert (k.local, k.is_bias, k.ndim, k.size, k.shape) == ("kernel", False, 2, 12, (4, 3))
    assert k.classes[:2] == ("Dense", "Layer")
    with pytest.raises(TypeError, match="Leaf: name must be a non-empty string"):
        Leaf("")


# -- rules ----------------------------------------------------------------------------------------

def test_rule_forms():
    got = parse_rules({"head": 10.0, "embed": "freeze", "norm": {"lr_mult": 0.5, "decay_mult": 0.0}})
    assert [(r.patterns, r.lr_mult, r.decay_mult, r.freeze) for r in got] == [
        (("head",), 10.0, None, False), (("embed",), 1.0, None, True), (("norm",), 0.5, 0.0, False)]
    got = parse_rules([Rule(["a", "b"], name="ab"), {"match": "c", "lr_mult": 2}])
    assert [r.label for r in got] == ["ab", "c"]
    assert Rule(["a", re.compile("x$"), Dense]).label == "a,re:x$,Dense"
    assert parse_rules(None) == [] and len(parse_rules(Rule("a"))) == 1


@pytest.mark.parametrize("value, exc, words", [
    ({"fc": True}, TypeError, "rules['fc'] must be an lr multiplier, 'freeze' or a dict"),
    ({"fc": "frozen"}, TypeError, "rules['fc'] must be an lr multiplier"),
    ([{"match": "fc", "lr_mul": 2}], ValueError, "Rule: unknown option(s) ['lr_mul']"),
    ([{"lr_mult": 2}], ValueError, "Rule: a rule needs 'match'"),
    ([3], TypeError, "rules[0] must be a Rule or a dict, got 3 (int)"),
    ("fc", TypeError, "rules must be a list of Rule/dict or a mapping"),
    ({"fc": -1.0}, ValueError, "Rule: lr_mult must be >= 0, got -1.0"),
    ([{"match": []}], ValueError, "Rule: match must be a pattern or a non-empty list"),
    ([{"match": "fc", "freeze": 1}], TypeError, "Rule: freeze must be True or False"),
    ([{"match": "fc", "name": ""}], TypeError, "Rule: name must be a non-empty string"),
])
def test_bad_rules_name_what_is_wrong(value, exc, words):
    with pytest.raises(exc) as e:
        parse_rules(value)
    assert words in str(e.value)


def _leaves():
    """A small model written as leaves: embedding, two blocks (dense + norm), head."""
    L = Leaf
    return [
        L("embed.weight", ".", (10, 4), is_embedding=True),
        L("blocks.0.fc.weight", ".", (4, 4), owner=Dense()),
        L("blocks.0.fc.bias", ".", (4,), owner=Dense()),
        L("blocks.0.norm.weight", ".", (4,), owner=LayerNormalization(), is_norm=True),
        L("blocks.1.fc.weight", ".", (4, 4), owner=Dense()),
        L("blocks.1.fc.bias", ".", (4,), owner=Dense()),
        L("blocks.1.norm.weight", ".", (4,), owner=LayerNormalization(), is_norm=True),
        L("head.weight", ".", (2, 4), owner=Dense()),
        L("head.bias", ".", (2,), owner=Dense()),
    ]


def test_first_match_wins_and_the_no_decay_default():
    got = {m.leaf.name: (m.rule.label if m.rule else None, m.lr_mult, m.decay_mult, m.status)
           for m in match_rules(_leaves(), [Rule("blocks.1", lr_mult=0.5, name="b1"),
                                            Rule(Norm, lr_mult=3.0, name="norms"),
                                            Rule("head", lr_mult=10.0, decay_mult=2.0)])}
    assert got == {
        "embed.weight": (None, 1.0, 0.0, "train"),                 # embedding: no decay
        "blocks.0.fc.weight": (None, 1.0, 1.0, "train"),
        "blocks.0.fc.bias": (None, 1.0, 0.0, "train"),             # bias: no decay
        "blocks.0.norm.weight": ("norms", 3.0, 0.0, "train"),
        "blocks.1.fc.weight": ("b1", 0.5, 1.0, "train"),
        "blocks.1.fc.bias": ("b1", 0.5, 0.0, "train"),
        "blocks.1.norm.weight": ("b1", 0.5, 0.0, "train"),         # the first rule wins over the class rule
        "head.weight": ("head", 10.0, 2.0, "train"),
        "head.bias": ("head", 10.0, 2.0, "train"),                 # an explicit decay_mult wins
    }


def test_no_decay_auto_and_patterns():
    L = Leaf
    cases = [(L("a.bias", ".", (3, 3)), True), (L("a.scale", ".", (3,)), True), (L("a.s", ".", ()), True),
             (L("a.w", ".", (3, 3), is_norm=True), True), (L("a.w", ".", (3, 3), is_embedding=True), True),
             (L("a.w", ".", (3, 3)), False), (L("a.w", ".", (1, 8, 4)), False)]
    assert [is_no_decay(leaf) for leaf, _ in cases] == [want for _, want in cases]
    pos = L("pos_embed", ".", (1, 8, 4))
    bias = L("a.bias", ".", (3,))
    assert rules.no_decay_test(["pos_embed"])(pos) and not rules.no_decay_test(["pos_embed"])(bias)
    both = rules.no_decay_test(["auto", "pos_embed"])
    assert both(pos) and both(bias)
    assert not rules.no_decay_test(None)(bias)


def test_strict_report_lists_overlaps_orphans_and_unused_rules():
    with pytest.raises(ValueError) as e:
        match_rules(_leaves(), [Rule("blocks", name="body"), Rule("*.bias", name="biases"),
                                Rule("classifier", name="nothing")], strict=True, owner="param_groups")
    assert str(e.value) == (
        "param_groups (strict): matched by more than one rule: blocks.0.fc.bias (rules: body, biases), "
        "blocks.1.fc.bias (rules: body, biases); matched by no rule: embed.weight, head.weight; "
        "rules matching no parameter: nothing")
    # a partition passes; without strict, an idle rule only warns
    match_rules(_leaves(), [Rule(["embed", "blocks"]), Rule("head")], strict=True)
    with pytest.warns(UserWarning, match="f: rules matching no parameter: classifier"):
        match_rules(_leaves(), {"classifier": 2.0}, owner="f")
    assert rules.coverage_report([], [], []) == ""
    long = rules.short_list([f"p{i}" for i in range(25)])
    assert long.endswith("p19 ... and 5 more")


def test_frozen_and_freeze_rule_leaves_leave_the_groups():
    leaves = _leaves()
    leaves[0].trainable = False
    result = assign(leaves, {"head": "freeze"})
    assert result.frozen == ["embed.weight", "head.weight", "head.bias"]
    assert [leaf.name for leaf in result.to_freeze] == ["head.weight", "head.bias"]
    assert "head.weight" not in result.as_dict()
    assert result.multipliers()["head.bias"] == (0.0, 0.0)


# -- layer ids ------------------------------------------------------------------------------------

def _named(names, sep=".", size=4):
    return [Leaf(n, sep, (size, size)) for n in names]


@pytest.mark.parametrize("names, sep, expected", [
    # PyTorch: blocks.N with an embedding before and a head after
    (["embed.weight", "blocks.0.w", "blocks.1.w", "blocks.2.w", "norm.weight", "head.weight"], ".",
     [0, 1, 2, 3, 4, 4]),
    # Hugging Face: encoder.layer.N
    (["bert.embeddings.word.weight", "bert.encoder.layer.0.a.weight", "bert.encoder.layer.1.a.weight",
      "bert.pooler.dense.weight", "classifier.weight"], ".", [0, 1, 2, 3, 3]),
    # Flax Linen: layers_N and Block_N under "params"
    (["params/Embed_0/embedding", "params/layers_0/Dense_0/kernel", "params/layers_1/Dense_0/kernel",
      "params/head/kernel"], "/", [0, 1, 2, 3]),
    (["params/Block_0/Dense_0/kernel", "params/Block_0/Dense_1/kernel", "params/Block_1/Dense_0/kernel",
      "params/Block_1/Dense_1/kernel", "params/Dense_0/kernel"], "/", [1, 1, 2, 2, 3]),
    # Keras: encoder/layer_N
    (["encoder/embedding/embeddings", "encoder/layer_0/dense/kernel", "encoder/layer_1/dense/kernel",
      "head/kernel"], "/", [0, 1, 2, 3]),
    # the model itself is the stack: numbered from 0 (gaps in the numbering are closed)
    (["0.weight", "1.weight", "3.weight"], ".", [0, 1, 2]),
])
def test_layer_ids_from_names(names, sep, expected):
    ids = auto_layer_ids(_named(names, sep))
    assert [ids[n] for n in names] == expected


def test_embeddings_go_to_zero_wherever_they_sit_and_leaves_before_the_stack_too():
    names = ["stem.weight", "blocks.0.w", "blocks.1.w", "pos_embed", "head.weight"]
    ids = auto_layer_ids(_named(names))
    assert [ids[n] for n in names] == [0, 1, 2, 0, 3]


def test_sibling_stacks_are_ambiguous_unless_light():
    names = ["conv1.weight", "layer1.0.w", "layer1.1.w", "layer2.0.w", "layer2.1.w", "fc.weight"]
    assert find_stack(_named(names)) == ("the model has several numbered stacks (layer1, layer2), so the "
                                         "layer order is ambiguous")
    # a rival weighing less than a fifth of the main stack does not count
    light = [Leaf("tiny.0.w", ".", (1,)), Leaf("tiny.1.w", ".", (1,))]
    stack = find_stack(_named(["blocks.0.w", "blocks.1.w"], size=10) + light)
    assert stack == Stack(("blocks.0", "blocks.1"), root=False, name="blocks")
    assert find_stack(_named(["a.weight", "b.weight"])) == rules.layers.NO_STACK
    assert auto_layer_ids(_named(["a.weight"])) == rules.layers.NO_STACK


def test_nested_numbered_containers_are_not_rivals():
    # Flax: Dense_0/Dense_1 inside every Block_N are not a second stack
    names = ["params/Block_0/Dense_0/kernel", "params/Block_0/Dense_1/kernel",
             "params/Block_1/Dense_0/kernel", "params/Block_1/Dense_1/kernel"]
    stack = find_stack(_named(names, "/"))
    assert stack == Stack(("params/Block_0", "params/Block_1"), name="params/Block_N")


def test_an_adapter_can_pass_the_stack_it_found():
    # Keras auto-names layers dense, dense_1, dense_2: the adapter knows model.layers' order
    names = ["sequential/embedding/embeddings", "sequential/dense/kernel", "sequential/dense_1/kernel",
             "sequential/dense_2/kernel"]
    stack = Stack(("sequential/dense", "sequential/dense_1"))
    ids = auto_layer_ids(_named(names, "/"), stack)
    assert [ids[n] for n in names] == [0, 1, 2, 3]
    assert auto_layer_ids(_named(names, "/"), "no stack here") == "no stack here"


def test_explicit_layer_ids_over_the_automatic_ones():
    leaves = _named(["stem.weight", "mid.weight", "top.weight"])
    with pytest.raises(ValueError, match=r"^ld: no layer id for stem.weight, mid.weight, top.weight: the "
                                         r"model has no numbered stack"):
        rules.resolve_layer_ids(leaves, None, auto_layer_ids(leaves), owner="ld")
    ids = rules.resolve_layer_ids(leaves, {"stem": 0, "re:^(mid|top)": 2}, "none", owner="ld")
    assert ids == {"stem.weight": 0, "mid.weight": 2, "top.weight": 2}
    ids = rules.resolve_layer_ids(leaves, lambda n: {"stem": 1}.get(n.split(".")[0]),
                                  {"stem.weight": 0, "mid.weight": 5, "top.weight": 6}, owner="ld")
    assert ids == {"stem.weight": 1, "mid.weight": 5, "top.weight": 6}
    with pytest.raises(ValueError, match=r"ld: layer_ids\['stem'\] must be >= 0, got -1"):
        rules.resolve_layer_ids(leaves, {"stem": -1}, "none", owner="ld")
    with pytest.raises(TypeError, match="ld: layer_ids must be a mapping pattern -> layer id"):
        rules.resolve_layer_ids(leaves, 3, "none", owner="ld")


# -- the assignment -------------------------------------------------------------------------------

def test_layer_decay_assignment_table_and_dicts():
    result = assign(_leaves(), {"head": 10.0}, decay=0.5, owner="layer_decay")
    # ids: embed 0, blocks.0 -> 1, blocks.1 -> 2, head 3; scale = lr_mult * 0.5 ** (3 - id)
    assert result.as_dict() == {
        "embed.weight": {"group": "layer_0.no_decay", "lr_scale": 0.125, "weight_decay_scale": 0.0,
                         "layer_id": 0},
        "blocks.0.fc.weight": {"group": "layer_1", "lr_scale": 0.25, "weight_decay_scale": 1.0,
                               "layer_id": 1},
        "blocks.0.fc.bias": {"group": "layer_1.no_decay", "lr_scale": 0.25, "weight_decay_scale": 0.0,
                             "layer_id": 1},
        "blocks.0.norm.weight": {"group": "layer_1.no_decay", "lr_scale": 0.25, "weight_decay_scale": 0.0,
                                 "layer_id": 1},
        "blocks.1.fc.weight": {"group": "layer_2", "lr_scale": 0.5, "weight_decay_scale": 1.0, "layer_id": 2},
        "blocks.1.fc.bias": {"group": "layer_2.no_decay", "lr_scale": 0.5, "weight_decay_scale": 0.0,
                             "layer_id": 2},
        "blocks.1.norm.weight": {"group": "layer_2.no_decay", "lr_scale": 0.5, "weight_decay_scale": 0.0,
                                 "layer_id": 2},
        "head.weight": {"group": "layer_3.head", "lr_scale": 10.0, "weight_decay_scale": 1.0, "layer_id": 3},
        "head.bias": {"group": "layer_3.head.no_decay", "lr_scale": 10.0, "weight_decay_scale": 0.0,
                      "layer_id": 3},
    }
    assert result.multipliers()["blocks.0.fc.weight"] == (0.25, 1.0)
    assert [(g.name, g.names) for g in result.groups][:3] == [
        ("layer_0.no_decay", ["embed.weight"]), ("layer_1", ["blocks.0.fc.weight"]),
        ("layer_1.no_decay", ["blocks.0.fc.bias", "blocks.0.norm.weight"])]
    assert result.table().splitlines()[:4] == [
        "parameter             layer  group                  lr_scale  wd_scale",
        "--------------------  -----  ---------------------  --------  --------",
        "embed.weight          0      layer_0.no_decay          0.125         0",
        "blocks.0.fc.weight    1      layer_1                    0.25         1",
    ]


def test_table_without_layers_lists_frozen_leaves_last():
    leaves = [Leaf("a.weight", ".", (2, 2)), Leaf("b.weight", ".", (2, 2), trainable=False)]
    assert assign(leaves).table() == (
        "parameter  group     lr_scale  wd_scale\n"
        "---------  --------  --------  --------\n"
        "a.weight   default          1         1\n"
        "b.weight   (frozen)         0         0")


def test_top_and_decay_are_checked():
    leaves = _leaves()
    assert assign(leaves, decay=0.5, top=5).as_dict()["head.weight"]["lr_scale"] == 0.25
    with pytest.raises(ValueError, match=r"^f: decay must be in \(0, 1\], got 0$"):
        assign(leaves, decay=0, owner="f")
    with pytest.raises(ValueError, match="f: top must be >= the largest layer id 3, got 2"):
        assign(leaves, decay=0.5, top=2, owner="f")
    with pytest.raises(ValueError, match="f: layer_ids and top need decay"):
        assign(leaves, layer_ids={"*": 0}, owner="f")
    with pytest.raises(TypeError, match="f: strict must be True or False"):
        assign(leaves, strict="yes", owner="f")


def test_two_rules_sharing_a_name_but_not_multipliers_is_an_error():
    with pytest.raises(ValueError, match="f: two groups named 'x' have different multipliers"):
        assign(_leaves(), [Rule("blocks.0", lr_mult=2.0, name="x"), Rule("blocks.1", lr_mult=3.0, name="x")],
               owner="f")
    # same name, same multipliers: one group
    got = assign(_leaves(), [Rule("blocks.0.fc.weight", name="x"), Rule("blocks.1.fc.weight", name="x")])
    assert [g.names for g in got.groups if g.name == "x"] == [["blocks.0.fc.weight", "blocks.1.fc.weight"]]


def test_a_rule_is_checked_against_the_adapters_class_base_when_matched():
    conv = Convention(".", Layer, "Layer")
    rule = Rule(int)  # any class is a valid pattern until a framework says otherwise
    with pytest.raises(TypeError, match=r"^f: match must name Layer subclasses, got int$"):
        match_rules(_leaves(), [rule], convention=conv, owner="f")
    got = match_rules(_leaves(), [Rule(Norm, lr_mult=2.0)], convention=conv, strict=False)
    assert [m.leaf.name for m in got if m.lr_mult == 2.0] == ["blocks.0.norm.weight", "blocks.1.norm.weight"]
