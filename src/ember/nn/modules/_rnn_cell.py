"""The one-step recurrent cells, as in ``torch.nn.modules.rnn`` (which re-exports them):
``RNNCell``, ``LSTMCell``, ``GRUCell``. Each step is the fused layer node over a sequence of one."""
import math

from ember._ops.creation import empty
from ember._ops.rnn import dtype_error, rnn_layer
from ember.nn import init
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


class RNNCellBase(Module):
    """Base class of the one-step cells: parameters ``weight_ih``, ``weight_hh``, ``bias_ih``,
    ``bias_hh`` with PyTorch's shapes and initialisation."""

    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(empty((gates, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(empty((gates, hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(gates, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(gates, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _step(self, mode, input, hs):
        """One fused step (``rnn_layer`` over a length-1 sequence); ``hs`` the given states."""
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
            hs = [None if h is None else h.unsqueeze(0) for h in hs]
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} expected "
                               f"{self.input_size}")
        for k, h in enumerate(hs):
            if h is None:
                continue
            if input.size(0) != h.size(0):
                raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{k} "
                                   f"batch size {h.size(0)}")
            if h.dim() != 2 or h.size(1) != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got "
                                   f"{h.size(-1) if h.dim() < 2 else h.size(1)}, expected "
                                   f"{self.hidden_size}")
        if input.dtype != self.weight_ih.dtype:
            raise dtype_error(input, self.weight_ih)
        _, h, c = rnn_layer(mode, input.unsqueeze(0), None, *hs, *([None] * (2 - len(hs))),
                            self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        if not is_batched:
            h = h.squeeze(0)
            c = None if c is None else c.squeeze(0)
        return h if c is None else (h, c)

    def _check_dims(self, name, input, hx):
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")


class RNNCell(RNNCellBase):
    r"""One step of an Elman RNN: ``h' = act(W_ih x + b_ih + W_hh h + b_hh)``.

    Args:
        input_size, hidden_size: features of ``x`` and ``h``.
        bias: use ``b_ih`` and ``b_hh``. Default: ``True``.
        nonlinearity: ``'tanh'`` or ``'relu'``. Default: ``'tanh'``.

    Shape:
        input ``(N, H_in)`` or ``(H_in)``; hidden and output ``(N, H_out)`` or ``(H_out)``.

    Example::

        >>> cell = nn.RNNCell(10, 20)
        >>> hx = ember.zeros(3, 20)
        >>> for x in ember.randn(6, 3, 10):
        ...     hx = cell(x, hx)
    """

    __constants__ = ["input_size", "hidden_size", "bias", "nonlinearity"]

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        self._check_dims("RNNCell", input, hx)
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return self._step(mode, input, [hx])


class LSTMCell(RNNCellBase):
    r"""One step of an LSTM (gate order ``i, f, g, o``); returns ``(h', c')``.

    Args:
        input_size, hidden_size: features of ``x`` and ``h``.
        bias: use ``b_ih`` and ``b_hh``. Default: ``True``.

    Shape:
        input ``(N, H_in)`` or ``(H_in)``; ``h``, ``c`` and the outputs ``(N, H)`` or ``(H)``.

    Example::

        >>> cell = nn.LSTMCell(10, 20)
        >>> hx, cx = ember.zeros(3, 20), ember.zeros(3, 20)
        >>> for x in ember.randn(6, 3, 10):
        ...     hx, cx = cell(x, (hx, cx))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        if input.dim() not in (1, 2):
            raise ValueError(f"LSTMCell: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{idx}] to be 1D or 2D, got "
                                     f"{value.dim()}D instead")
            return self._step("LSTM", input, list(hx))
        return self._step("LSTM", input, [None, None])


class GRUCell(RNNCellBase):
    r"""One step of a GRU (gate order ``r, z, n``).

    Args:
        input_size, hidden_size: features of ``x`` and ``h``.
        bias: use ``b_ih`` and ``b_hh``. Default: ``True``.

    Shape:
        input ``(N, H_in)`` or ``(H_in)``; hidden and output ``(N, H_out)`` or ``(H_out)``.

    Example::

        >>> cell = nn.GRUCell(10, 20)
        >>> hx = cell(ember.randn(3, 10))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        self._check_dims("GRUCell", input, hx)
        return self._step("GRU", input, [hx])

