"""nn.Transformer and its encoder/decoder layers against torch: outputs and gradients from the
same weights (post- and pre-norm, relu/gelu, masks and padding, batch_first), state_dict keys,
reprs, the causal mask and errors."""
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import compare, rand

D, H, FF = 8, 2, 16


def paired(cls, *args, **kw):
    """``fn(lib)`` -> the module of ``lib`` with torch's initial weights (dropout off)."""
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the nested-tensor notice)
        state = {k: v.detach().numpy().copy()
                 for k, v in getattr(torch.nn, cls)(*args, **kw).state_dict().items()}

    def make(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = getattr(lib.nn, cls)(*args, **kw)
        m.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
        return m
    return make


LAYER_KW = [dict(), dict(norm_first=True, activation="gelu"), dict(batch_first=True),
            dict(bias=False)]


@pytest.mark.parametrize("kw", LAYER_KW)
def test_encoder_layer(kw):
    make = paired("TransformerEncoderLayer", D, H, FF, dropout=0.0, **kw)
    bf = kw.get("batch_first", False)
    x = rand(2, 5, D) if bf else rand(5, 2, D)
    pad = np.array([[False] * 5, [False, False, False, True, True]])
    compare(lambda lib, s: make(lib)(s), x)
    compare(lambda lib, s, p: make(lib)(s, src_key_padding_mask=p), x, pad)
    compare(lambda lib, s: make(lib)(s[0] if bf else s[:, 0]), x)  # unbatched


@pytest.mark.parametrize("kw", LAYER_KW)
def test_decoder_layer(kw):
    make = paired("TransformerDecoderLayer", D, H, FF, dropout=0.0, **kw)
    bf = kw.get("batch_first", False)
    tgt, mem = (rand(2, 4, D), rand(2, 6, D)) if bf else (rand(4, 2, D), rand(6, 2, D))
    mask = np.triu(np.full((4, 4), -np.inf, np.float32), 1)
    compare(lambda lib, t, m, c: make(lib)(t, m, tgt_mask=c, tgt_is_causal=True), tgt, mem, mask)


def test_transformer_end_to_end():
    make = paired("Transformer", d_model=D, nhead=H, num_encoder_layers=2, num_decoder_layers=2,
                  dim_feedforward=FF, dropout=0.0)
    src, tgt = rand(6, 2, D), rand(4, 2, D)
    pad = np.array([[False] * 6, [False] * 4 + [True] * 2])

    def run(lib, s, t, p):
        mask = lib.nn.Transformer.generate_square_subsequent_mask(4)
        return make(lib)(s, t, tgt_mask=mask, src_key_padding_mask=p,
                         memory_key_padding_mask=p)
    compare(run, src, tgt, pad)


def test_structure_reprs_masks_and_errors():
    whole = dict(d_model=D, nhead=H, num_encoder_layers=1, num_decoder_layers=1,
                 dim_feedforward=FF)
    for args, kw in ((("Transformer",), whole),
                     (("TransformerEncoderLayer", D, H, FF), dict(batch_first=True))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            e, t = (getattr(lib.nn, args[0])(*args[1:], **kw) for lib in (ember, torch))
        assert repr(e) == repr(t) and list(e.state_dict()) == list(t.state_dict())
    np.testing.assert_array_equal(ember.nn.Transformer.generate_square_subsequent_mask(3).numpy(),
                                  torch.nn.Transformer.generate_square_subsequent_mask(3).numpy())
    layer = ember.nn.TransformerEncoderLayer(D, H, FF)  # not batch_first: PyTorch's notice
    with pytest.warns(UserWarning, match="self.use_nested_tensor is False because"):
        ember.nn.TransformerEncoder(layer, 2)
    model = ember.nn.Transformer(d_model=D, nhead=H, num_encoder_layers=1, num_decoder_layers=1,
                                 dim_feedforward=FF)
    with pytest.raises(RuntimeError, match="batch number of src and tgt must be equal"):
        model(ember.randn(3, 2, D), ember.randn(3, 1, D))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu"):
        ember.nn.TransformerEncoderLayer(D, H, activation="tanh")
