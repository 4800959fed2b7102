"""nn.Module: registration, traversal, state_dict, modes, hooks, repr."""

import numpy as np
import pytest

import chainrule
from chainrule import nn


class Affine(nn.Module):
    def __init__(self, n: int = 3):
        super().__init__()
        self.weight = nn.Parameter(chainrule.ones(n))
        self.bias = nn.Parameter(chainrule.zeros(n))
        self.register_buffer("running", chainrule.zeros(n))
        self.register_buffer("scratch", chainrule.zeros(n), persistent=False)

    def forward(self, x):
        return x * self.weight + self.bias


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = Affine()
        self.second = Affine()
        self.blocks = nn.ModuleList([Affine(), Affine()])

    def forward(self, x):
        x = self.second(self.first(x))
        for block in self.blocks:
            x = block(x)
        return x


def test_parameters_are_registered_in_assignment_order():
    names = [n for n, _ in Net().named_parameters()]
    assert names == ["first.weight", "first.bias", "second.weight", "second.bias",
                     "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias"]


def test_shared_parameter_is_listed_once():
    net = Net()
    net.second.weight = net.first.weight
    assert len(list(net.parameters())) == 7


def test_buffers_and_state_dict_skip_non_persistent():
    net = Affine()
    assert [n for n, _ in net.named_buffers()] == ["running", "scratch"]
    assert list(net.state_dict()) == ["weight", "bias", "running"]


def test_state_dict_values_are_detached_copies_of_names():
    net = Affine()
    sd = net.state_dict()
    assert not sd["weight"].requires_grad
    assert np.shares_memory(sd["weight"].data, net.weight.data)


def test_load_state_dict_copies_values_and_reports_keys():
    src, dst = Net(), Net()
    for p in src.parameters():
        p.data[...] = np.arange(3)
    result = dst.load_state_dict(src.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    for p in dst.parameters():
        np.testing.assert_array_equal(p.data, np.arange(3))


def test_load_state_dict_strict_lists_missing_and_unexpected_before_changing_anything():
    net = Affine()
    sd = net.state_dict()
    sd["extra"] = chainrule.zeros(1)
    sd["weight"] = chainrule.full((3,), 7.0)
    del sd["bias"]
    with pytest.raises(RuntimeError, match=r"missing keys: \['bias'\].*unexpected keys: "
                                           r"\['extra'\]"):
        net.load_state_dict(sd)
    np.testing.assert_array_equal(net.weight.data, np.ones(3))  # unchanged
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(net.weight.data, np.full(3, 7.0))


def test_load_state_dict_names_shape_mismatch():
    net = Affine()
    sd = net.state_dict()
    sd["weight"] = chainrule.zeros(4)
    with pytest.raises(ValueError, match=r"size mismatch for weight.*\(4,\).*\(3,\)"):
        net.load_state_dict(sd)


def test_assigning_a_plain_tensor_over_a_parameter_is_refused():
    net = Affine()
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        net.weight = chainrule.zeros(3)


def test_parameter_before_init_is_refused():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(chainrule.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Broken()


def test_train_eval_propagate_to_children():
    net = Net().eval()
    assert all(not m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_sets_to_none_or_zero():
    net = Affine()
    net(chainrule.ones(3)).sum().backward()
    net.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(net.weight.grad.data, np.zeros(3))
    net.zero_grad()
    assert net.weight.grad is None


def test_forward_hooks_can_replace_args_and_output_and_be_removed():
    net = Affine()
    pre = net.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    post = net.register_forward_hook(lambda m, args, out: out + 1)
    out = net(chainrule.ones(3))
    np.testing.assert_array_equal(out.data, np.full(3, 3.0))
    pre.remove()
    post.remove()
    np.testing.assert_array_equal(net(chainrule.ones(3)).data, np.ones(3))


def test_apply_visits_children_before_parent():
    seen = []
    Net().apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen.count("Affine") == 4


def test_to_double_converts_parameters_and_buffers():
    net = Affine().double()
    assert all(t.dtype == chainrule.float64 for t in [*net.parameters(), *net.buffers()])


def test_requires_grad_false_freezes_parameters():
    net = Affine().requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_repr_is_nested_like_pytorch():
    class Leaf(nn.Module):
        def extra_repr(self):
            return "size=3"

    net = nn.Sequential(Leaf(), nn.ModuleList([Leaf()]))
    assert repr(net) == ("Sequential(\n  (0): Leaf(size=3)\n  (1): ModuleList(\n"
                         "    (0): Leaf(size=3)\n  )\n)")


def test_containers_index_slice_and_len():
    seq = nn.Sequential(Affine(), Affine(), Affine())
    assert len(seq) == 3 and len(seq[1:]) == 2 and seq[-1] is list(seq)[2]
    with pytest.raises(IndexError, match="out of range"):
        seq[3]
    md = nn.ModuleDict({"a": Affine()})
    assert "a" in md and len(list(md.parameters())) == 2
    pl = nn.ParameterList([chainrule.zeros(2), nn.Parameter(chainrule.ones(1))])
    assert len(list(pl.parameters())) == 2 and isinstance(pl[0], nn.Parameter)
    pd = nn.ParameterDict({"w": chainrule.zeros(2)})
    assert [n for n, _ in pd.named_parameters()] == ["w"]


def test_deep_module_tree_traverses_without_recursion():
    root = nn.Sequential()
    node = root
    for _ in range(5000):
        child = nn.Sequential()
        node.append(child)
        node = child
    assert sum(1 for _ in root.modules()) == 5001


def test_deepcopy_copies_parameters_buffers_and_structure():
    import copy

    net = nn.Sequential(nn.Module())
    net.register_parameter("w", nn.Parameter(chainrule.ones(2)))
    net.register_buffer("b", chainrule.zeros(1))
    net.w.grad = chainrule.full((2,), 3.0)
    clone = copy.deepcopy(net)
    assert type(clone.w) is nn.Parameter and clone.w.requires_grad
    assert not np.shares_memory(clone.w.data, net.w.data)
    assert not np.shares_memory(clone.b.data, net.b.data)
    np.testing.assert_array_equal(clone.w.grad.data, [3.0, 3.0])
    clone.w.data[0] = 5.0
    assert net.w.data[0] == 1.0
    assert list(dict(clone.named_parameters())) == ["w"]


def test_deepcopy_of_a_non_leaf_is_refused():
    import copy

    x = chainrule.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(x * 2)
