"""An independent PyTorch model of MicroNet M0..M3 (Li et al., ICCV 2021).

It follows the architecture of the official implementation (liyunsheng13/micronet,
backbone/micronet.py and backbone/activation.py) module for module, so that
`state_dict()` has exactly the official keys and shapes (see
tests/data/official_state_dicts/micronet_m*_state_dict.tsv) and the forward pass in eval mode computes
the same function. The code is written from the facts in MICRONET_SPEC.md, not copied.

It stands in for "a checkpoint saved from the official PyTorch code": the tests save
`build_micronet(arch).state_dict()` with torch.save, exactly as users' files are made.

Public API:
    build_micronet(arch, num_classes=1000) -> nn.Module   (arch in m0, m1, m2, m3)
    build_from_config(config, num_classes=None) -> nn.Module
        (a config of models/configs/*.json, as a dict: a custom network, with the optional
        per-row "J" group shifts of Dynamic Shift-Max beyond the official J = 2)
    randomize_(model, seed) -> model                      (random weights and BN stats)
"""
import functools
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------------------------------
# Configuration (official microconfig.py rows; columns below)
# ---------------------------------------------------------------------------------------
#            s  n    c  k c1 c2  g1  g2  c3  g3  g4 y1 y2 y3  r
_ROWS = {
    "m0": [
        (2, 1, 8, 3, 2, 2, 0, 4, 8, 2, 2, 2, 0, 1, 1),
        (2, 1, 12, 3, 2, 2, 0, 8, 12, 4, 4, 2, 2, 1, 1),
        (2, 1, 16, 5, 2, 2, 0, 12, 16, 4, 4, 2, 2, 1, 1),
        (1, 1, 32, 5, 1, 4, 4, 4, 32, 4, 4, 2, 2, 1, 1),
        (2, 1, 64, 5, 1, 4, 8, 8, 64, 8, 8, 2, 2, 1, 1),
        (1, 1, 96, 3, 1, 4, 8, 8, 96, 8, 8, 2, 2, 1, 2),
        (1, 1, 384, 3, 1, 4, 12, 12, 0, 0, 0, 2, 2, 1, 2),
    ],
    "m1": [
        (2, 1, 8, 3, 2, 2, 0, 6, 8, 2, 2, 2, 0, 1, 1),
        (2, 1, 16, 3, 2, 2, 0, 8, 16, 4, 4, 2, 2, 1, 1),
        (2, 1, 16, 5, 2, 2, 0, 16, 16, 4, 4, 2, 2, 1, 1),
        (1, 1, 32, 5, 1, 6, 4, 4, 32, 4, 4, 2, 2, 1, 1),
        (2, 1, 64, 5, 1, 6, 8, 8, 64, 8, 8, 2, 2, 1, 1),
        (1, 1, 96, 3, 1, 6, 8, 8, 96, 8, 8, 2, 2, 1, 2),
        (1, 1, 576, 3, 1, 6, 12, 12, 0, 0, 0, 2, 2, 1, 2),
    ],
    "m2": [
        (2, 1, 12, 3, 2, 2, 0, 8, 12, 4, 4, 2, 0, 1, 1),
        (2, 1, 16, 3, 2, 2, 0, 12, 16, 4, 4, 2, 2, 1, 1),
        (1, 1, 24, 3, 2, 2, 0, 16, 24, 4, 4, 2, 2, 1, 1),
        (2, 1, 32, 5, 1, 6, 6, 6, 32, 4, 4, 2, 2, 1, 1),
        (1, 1, 32, 5, 1, 6, 8, 8, 32, 4, 4, 2, 2, 1, 2),
        (1, 1, 64, 5, 1, 6, 8, 8, 64, 8, 8, 2, 2, 1, 2),
        (2, 1, 96, 5, 1, 6, 8, 8, 96, 8, 8, 2, 2, 1, 2),
        (1, 1, 128, 3, 1, 6, 12, 12, 128, 8, 8, 2, 2, 1, 2),
        (1, 1, 768, 3, 1, 6, 16, 16, 0, 0, 0, 2, 2, 1, 2),
    ],
    "m3": [
        (2, 1, 16, 3, 2, 2, 0, 12, 16, 4, 4, 0, 2, 0, 1),
        (2, 1, 24, 3, 2, 2, 0, 16, 24, 4, 4, 0, 2, 0, 1),
        (1, 1, 24, 3, 2, 2, 0, 24, 24, 4, 4, 0, 2, 0, 1),
        (2, 1, 32, 5, 1, 6, 6, 6, 32, 4, 4, 0, 2, 0, 1),
        (1, 1, 32, 5, 1, 6, 8, 8, 32, 4, 4, 0, 2, 0, 2),
        (1, 1, 64, 5, 1, 6, 8, 8, 48, 8, 8, 0, 2, 0, 2),
        (1, 1, 80, 5, 1, 6, 8, 8, 80, 8, 8, 0, 2, 0, 2),
        (1, 1, 80, 5, 1, 6, 10, 10, 80, 8, 8, 0, 2, 0, 2),
        (2, 1, 120, 5, 1, 6, 10, 10, 120, 10, 10, 0, 2, 0, 2),
        (1, 1, 120, 5, 1, 6, 12, 12, 120, 10, 10, 0, 2, 0, 2),
        (1, 1, 144, 3, 1, 6, 12, 12, 144, 12, 12, 0, 2, 0, 2),
        (1, 1, 864, 3, 1, 6, 12, 12, 0, 0, 0, 0, 2, 0, 2),
    ],
}

# Per-model settings: stem channels, stem groups, head width, init_a, init_b, dropout.
_MODELS = {
    "m0": dict(stem_ch=4, stem_groups=(2, 2), out_ch=640, init_a=(1.0, 1.0), init_b=(0.0, 0.0), dropout=0.05),
    "m1": dict(stem_ch=6, stem_groups=(3, 2), out_ch=960, init_a=(1.0, 1.0), init_b=(0.0, 0.0), dropout=0.05),
    "m2": dict(stem_ch=8, stem_groups=(4, 2), out_ch=1024, init_a=(1.0, 1.0), init_b=(0.0, 0.0), dropout=0.1),
    "m3": dict(stem_ch=12, stem_groups=(4, 3), out_ch=1024, init_a=(1.0, 0.5), init_b=(0.0, 0.5), dropout=0.1),
}

ARCHS = tuple(_MODELS)

ACT_MAX = 2.0          # doubled inside Dynamic Shift-Max: coefficients span [-2, 2]
REDUCTION = 8          # squeeze reduction; times the row's r
INIT_AB_BLOCK3 = (1.0, 0.0)   # offsets (a, b) of the K=1 activation after the last conv


def make_divisible(v, divisor=4, min_value=None):
    """Round v to the nearest multiple of divisor (at least min_value), never more than
    10% below v."""
    if min_value is None:
        min_value = divisor
    rounded = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * v:
        rounded += divisor
    return rounded


# ---------------------------------------------------------------------------------------
# Small modules
# ---------------------------------------------------------------------------------------
class HSigmoidDiv(nn.Module):
    """relu6(x + 3) / 6 (the form used by h_swish in the network body and head)."""

    def forward(self, x):
        return F.relu6(x + 3.0) / 6.0


class HSigmoidMul(nn.Module):
    """relu6(x + 3) * (1/6) (the form used inside Dynamic Shift-Max's hyper-function)."""

    def forward(self, x):
        return F.relu6(x + 3.0) * (1.0 / 6.0)


class HSwish(nn.Module):
    def __init__(self):
        super().__init__()
        self.sigmoid = HSigmoidDiv()

    def forward(self, x):
        return x * self.sigmoid(x)


class Shuffle(nn.Module):
    """Channel shuffle: channels viewed as (groups, C/groups), transposed, flattened."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        n, c, h, w = x.shape
        x = x.reshape(n, self.groups, c // self.groups, h, w)
        return x.transpose(1, 2).reshape(n, c, h, w)


class GroupMax(nn.Module):
    """Max over consecutive channel groups (stem variant with doubled channels; unused by
    M0..M3 but part of the official stem's definition)."""

    def __init__(self, per_group):
        super().__init__()
        self.per_group = per_group

    def forward(self, x):
        n, c, h, w = x.shape
        return x.reshape(n, c // self.per_group, self.per_group, h, w).max(dim=2).values


def _bn(c):
    return nn.BatchNorm2d(c)


class StemConv(nn.Module):
    """k x 1 conv (stride (s,1)) 3 -> g1, BN, 1 x k conv (stride (1,s), groups g1)
    g1 -> g1*g2, BN, shuffle(g1)."""

    def __init__(self, cin, groups, k, stride):
        super().__init__()
        g1, g2 = groups
        self.conv = nn.Sequential(
            nn.Conv2d(cin, g1, (k, 1), (stride, 1), (k // 2, 0), bias=False),
            _bn(g1),
            nn.Conv2d(g1, g1 * g2, (1, k), (1, stride), (0, k // 2), bias=False, groups=g1),
            _bn(g1 * g2),
            Shuffle(g1),
        )

    def forward(self, x):
        return self.conv(x)


class Stem(nn.Module):
    def __init__(self, cin, cout, groups, stride=2):
        super().__init__()
        g1, g2 = groups
        self.stem = nn.Sequential(
            StemConv(cin, groups, 3, stride),
            GroupMax(2) if g1 * g2 == 2 * cout else nn.ReLU6(),
        )

    def forward(self, x):
        return self.stem(x)


class DepthSep(nn.Module):
    """Factorized depthwise conv: k x 1 (stride (s,1), groups cin, cin -> cin*e1), BN,
    1 x k (stride (1,s), groups cin*e1, -> cin*e1*e2), BN."""

    def __init__(self, cin, expand, k, stride):
        super().__init__()
        e1, e2 = expand
        mid = cin * e1
        cout = mid * e2
        self.conv = nn.Sequential(
            nn.Conv2d(cin, mid, (k, 1), (stride, 1), (k // 2, 0), bias=False, groups=cin),
            _bn(mid),
            nn.Conv2d(mid, cout, (1, k), (1, stride), (0, k // 2), bias=False, groups=mid),
            _bn(cout),
        )

    def forward(self, x):
        return self.conv(x)


class PointwiseGroup(nn.Module):
    """1x1 group conv + BN."""

    def __init__(self, cin, cout, groups):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(cin, cout, 1, 1, 0, bias=False, groups=groups),
            _bn(cout),
        )

    def forward(self, x):
        return self.conv(x)


def shift_index(channels, groups):
    """perm[gi*gc + ci] = ((gi+1) % g)*gc + (ci+1) % gc with gc = C/g: roll the group
    index and the within-group index by one."""
    gc = channels // groups
    perm = []
    for gi in range(groups):
        for ci in range(gc):
            perm.append(((gi + 1) % groups) * gc + (ci + 1) % gc)
    return torch.tensor(perm, dtype=torch.long)


class _ShiftMax(nn.Module):
    """Dynamic Shift-Max with J group shifts (official: J = 2, the input and its
    group/channel-rolled copy; J = 1 is Dynamic ReLU; J = 3 adds the twice-rolled copy,
    with offset 0) and K = 2 (with `relu`, a max of two fusions) or K = 1 (one fusion)."""

    def __init__(self, channels, reduction, with_max, init_a, init_b, g_pair, expansion, J=2):
        super().__init__()
        self.channels = channels
        self.j = J
        self.k = 2 if with_max else 1
        self.scale = ACT_MAX * 2.0
        self.init_a = (float(init_a[0]), float(init_a[1]))
        self.init_b = (float(init_b[0]), float(init_b[1]))
        squeeze = max(4, make_divisible(channels // reduction, 4))
        self.avg_pool = nn.Sequential(nn.Sequential(), nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Sequential(
            nn.Linear(channels, squeeze),
            nn.ReLU(),
            nn.Linear(squeeze, channels * self.j * self.k),
            HSigmoidMul(),
        )
        g = g_pair[1]
        if g != 1 and expansion:
            g = channels // g
        self.groups = g
        self.register_buffer("index", shift_index(channels, g), persistent=False)

    def forward(self, x):
        n, c = x.shape[0], x.shape[1]
        y = self.avg_pool(x).reshape(n, c)
        y = self.fc(y).reshape(n, c * self.j * self.k, 1, 1)
        y = (y - 0.5) * self.scale
        if self.j != 2:  # coefficients ordered (K, J, C); offsets a for j = 0, b for j = 1
            coef = y.reshape(n, self.k, self.j, c, 1, 1)
            shifted = [x]
            for _ in range(1, self.j):
                shifted.append(shifted[-1][:, self.index, :, :])
            out = None
            for k in range(self.k):
                z = None
                for j in range(self.j):
                    off = self.init_a[k] if j == 0 else self.init_b[k] if j == 1 else 0.0
                    term = shifted[j] * (coef[:, k, j] + off)
                    z = term if z is None else z + term
                out = z if out is None else torch.max(out, z)
            return out
        x2 = x[:, self.index, :, :]
        if self.k == 2:
            a1, b1, a2, b2 = torch.split(y, c, dim=1)
            a1 = a1 + self.init_a[0]
            a2 = a2 + self.init_a[1]
            b1 = b1 + self.init_b[0]
            b2 = b2 + self.init_b[1]
            return torch.max(x * a1 + x2 * b1, x * a2 + x2 * b2)
        a1, b1 = torch.split(y, c, dim=1)
        a1 = a1 + self.init_a[0]
        b1 = b1 + self.init_b[0]
        return x * a1 + x2 * b1


ShiftMax = _ShiftMax  # the public name (J = 2 by default)


class Block(nn.Module):
    """One config row: Micro-Block-A (g1 == 0), the final row (g4 == 0), or B/C."""

    def __init__(self, cin, row, model_cfg, J=2):
        super().__init__()
        s, _n, c, k, c1, c2, g1, g2, _c3, g3, g4, y1, y2, y3, r = row
        cout = c
        init_a, init_b = model_cfg["init_a"], model_cfg["init_b"]
        red = model_cfg.get("reduction", REDUCTION) * r
        ab3 = model_cfg.get("init_a_block3", INIT_AB_BLOCK3)
        ab3_a = (ab3[0], 0.0)
        ab3_b = (ab3[1], 0.0)
        ShiftMax = functools.partial(_ShiftMax, J=J)
        hidden = cin * c1 * c2
        self.residual = s == 1 and cin == cout
        empty = nn.Sequential

        if g1 == 0:  # Micro-Block-A
            layers = [
                DepthSep(cin, (c1, c2), k, s),
                ShiftMax(hidden, red, y2 == 2, init_a, init_b, (g1, g2), False) if y2 > 0 else nn.ReLU6(),
                Shuffle(g2),
                Shuffle(hidden // 2) if y2 != 0 else empty(),
                PointwiseGroup(hidden, cout, g3),
                ShiftMax(cout, red // 2, False, ab3_a, ab3_b, (g3, g4), False) if y3 > 0 else empty(),
                Shuffle(g4),
                Shuffle(cout // 2) if cout % 2 == 0 and y3 != 0 else empty(),
            ]
        elif g4 == 0:  # final row: expanding group conv + K=1 activation
            layers = [
                PointwiseGroup(cin, hidden, g1),
                ShiftMax(hidden, red, False, ab3_a, ab3_b, (g1, g2), False) if y3 > 0 else empty(),
            ]
        else:  # Micro-Block-B / C
            if y1 != 0 and y2 != 0:
                mid_shuffle = Shuffle(hidden // 4)
            elif y1 == 0 and y2 == 0:
                mid_shuffle = empty()
            else:
                mid_shuffle = Shuffle(hidden // 2)
            layers = [
                PointwiseGroup(cin, hidden, g1),
                ShiftMax(hidden, red, y1 == 2, init_a, init_b, (g1, g2), False) if y1 > 0 else nn.ReLU6(),
                Shuffle(g2),
                DepthSep(hidden, (1, 1), k, s),
                empty(),
                ShiftMax(hidden, red, y2 == 2, init_a, init_b, (g1, g2), True) if y2 > 0 else nn.ReLU6(),
                mid_shuffle,
                PointwiseGroup(hidden, cout, g3),
                ShiftMax(cout, red // 2 if cout < hidden else red, False, ab3_a, ab3_b, (g3, g4), False)
                if y3 > 0 else empty(),
                Shuffle(g4),
                Shuffle(cout // 2) if y3 != 0 else empty(),
            ]
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        out = self.layers(x)
        if self.residual:
            out = out + x
        return out


class SwishLinear(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.linear = nn.Sequential(nn.Linear(cin, cout), nn.BatchNorm1d(cout), HSwish())

    def forward(self, x):
        return self.linear(x)


_COLUMNS = ("s", "n", "c", "ks", "c1", "c2", "g1", "g2", "c3", "g3", "g4", "y1", "y2", "y3", "r")


class MicroNetTorch(nn.Module):
    def __init__(self, arch, num_classes=1000, config=None):
        super().__init__()
        if config is not None:  # a models/configs/*.json document
            cfg = dict(config)
            rows = [tuple(int(row[k]) for k in _COLUMNS) for row in config["rows"]]
            shifts = [int(row.get("J", 2)) for row in config["rows"]]
            cfg.setdefault("dropout", 0.0)
            arch = config["name"]
        elif arch not in _MODELS:
            raise ValueError("unknown MicroNet arch %r (expected m0..m3)" % (arch,))
        else:
            cfg = _MODELS[arch]
            rows = _ROWS[arch]
            shifts = [2] * len(rows)
        self.arch = arch
        layers = [Stem(3, cfg["stem_ch"], cfg["stem_groups"], stride=2)]
        cin = cfg["stem_ch"]
        for row, J in zip(rows, shifts):
            n = row[1]
            for i in range(n):
                r = row if i == 0 else (1,) + tuple(row[1:])
                layers.append(Block(cin, r, cfg, J))
                cin = row[2]
        # (The final row outputs its expanded width in*c1*c2, which equals its c column in
        # every official config, e.g. M0: 96*1*4 = 384, so `cin` is right for the head.)
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.Sequential(nn.ReLU6(), nn.AdaptiveAvgPool2d((1, 1)), HSwish())
        self.classifier = nn.Sequential(
            SwishLinear(cin, cfg["out_ch"]),
            nn.Dropout(cfg["dropout"]),
            SwishLinear(cfg["out_ch"], num_classes),
        )

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = x.reshape(x.shape[0], -1)
        return self.classifier(x)


def build_micronet(arch, num_classes=1000):
    """The model for `arch` (m0..m3) in eval mode, with PyTorch's default init."""
    return MicroNetTorch(arch, num_classes).eval()


def build_from_config(config, num_classes=None):
    """The network of a config document (models/configs/*.json schema, as a dict) in eval
    mode; num_classes defaults to the config's "classes" (else 1000)."""
    if num_classes is None:
        num_classes = int(config.get("classes", 1000))
    return MicroNetTorch(None, num_classes, config=config).eval()


# ---------------------------------------------------------------------------------------
# Randomization
# ---------------------------------------------------------------------------------------
@torch.no_grad()
def randomize_(model, seed, calib_batch=4, calib_size=224):
    """Give `model` random weights, random BN affine parameters and random BN running
    statistics (variance > 0), scaled so that activations stay O(1) through the network.

    Conv and Linear weights are Gaussian (fan-in scaled); biases small Gaussians; BN
    gamma in [0.5, 1.5], beta ~ N(0, 0.2^2). The running statistics are drawn around the
    statistics that a deterministic random calibration batch actually produces at each
    BatchNorm (mean + N(0, 0.2^2)*std, var * U[0.5, 2]), so that nothing explodes or
    vanishes over depth. For the head's BatchNorm1d layers (where a batch has no spatial
    extent) the variance comes from the second moment, not from the spread across the
    batch, so the logits do not hinge on a cancellation. Returns `model` (in eval mode).
    """
    gen = torch.Generator().manual_seed(int(seed))

    def randn(*shape):
        return torch.randn(*shape, generator=gen)

    def rand(*shape):
        return torch.rand(*shape, generator=gen)

    model.eval()
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            fan_in = m.weight.shape[1] * m.weight.shape[2] * m.weight.shape[3]
            m.weight.copy_(randn(*m.weight.shape) * math.sqrt(2.0 / fan_in))
            if m.bias is not None:
                m.bias.copy_(randn(*m.bias.shape) * 0.1)
        elif isinstance(m, nn.Linear):
            fan_in = m.weight.shape[1]
            m.weight.copy_(randn(*m.weight.shape) * math.sqrt(1.0 / fan_in))
            m.bias.copy_(randn(*m.bias.shape) * 0.2)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            c = m.num_features
            m.weight.copy_(0.5 + rand(c))
            m.bias.copy_(randn(c) * 0.2)
            m.running_mean.zero_()
            m.running_var.fill_(1.0)
            m.num_batches_tracked.fill_(int(torch.randint(1, 10**6, (1,), generator=gen)))

    # Calibrate the running statistics in one pass: each BN's pre-hook sets its running
    # stats from its actual input just before it normalizes (eval mode reads them).
    def hook(bn, inputs):
        x = inputs[0]
        c = bn.num_features
        if x.dim() == 4:
            mean = x.mean(dim=(0, 2, 3))
            var = x.var(dim=(0, 2, 3), unbiased=False)
            std = var.clamp_min(1e-8).sqrt()
            bn.running_mean.copy_(mean + randn(c) * 0.2 * std)
            bn.running_var.copy_((var * (0.5 + 1.5 * rand(c))).clamp_min(1e-4))
        else:
            second = (x * x).mean(dim=0).clamp_min(1e-4)
            rms = second.sqrt()
            bn.running_mean.copy_(randn(c) * 0.2 * rms)
            bn.running_var.copy_(second * (0.5 + 1.5 * rand(c)))

    handles = [m.register_forward_pre_hook(hook) for m in model.modules()
               if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d))]
    try:
        calib = randn(calib_batch, 3, calib_size, calib_size)
        model(calib)
    finally:
        for h in handles:
            h.remove()
    return model


def state_dict_layout(model):
    """[(key, shape)] of the model's state_dict, in order."""
    return [(k, tuple(v.shape)) for k, v in model.state_dict().items()]


def read_tsv_layout(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            key, shape = line.split("\t")
            out.append((key, () if shape == "scalar" else tuple(int(d) for d in shape.split("x"))))
    return out


if __name__ == "__main__":
    import sys
    for a in sys.argv[1:] or ["m0", "m1", "m2", "m3"]:
        mdl = randomize_(build_micronet(a), 0)
        n_params = sum(p.numel() for p in mdl.parameters())
        out = mdl(torch.randn(2, 3, 224, 224))
        print(a, n_params, tuple(out.shape), float(out.abs().mean()))
