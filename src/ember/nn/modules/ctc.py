"""``CTCLoss`` (PyTorch keeps it in ``torch/nn/modules/loss.py``; ember's ``loss.py`` is full)."""
from ember.nn._functional.ctc import ctc_loss
from ember.nn.modules.loss import _Loss

__all__ = ["CTCLoss"]


class CTCLoss(_Loss):
    r"""The Connectionist Temporal Classification loss, summed over all alignments of each input
    sequence to its target (see :func:`ember.nn.functional.ctc_loss`).

    Args:
        blank (int): the blank label. Default: 0.
        reduction (str): ``'none'`` | ``'mean'`` (each loss divided by its target length, then
            the batch mean) | ``'sum'``. Default: ``'mean'``.
        zero_infinity (bool): zero infinite losses and their gradients. Default: ``False``.

    Shape:
        - log_probs: :math:`(T, N, C)` or :math:`(T, C)`, log-probabilities per time step.
        - targets: :math:`(N, S)` padded or :math:`(\sum \text{target\_lengths})` concatenated.
        - input_lengths, target_lengths: :math:`(N)` or :math:`()`, Tensors or tuples of ints.
        - Output: a scalar, or :math:`(N)` (:math:`()` unbatched) with ``reduction='none'``.

    Example::

        >>> ctc = nn.CTCLoss()
        >>> log_probs = ember.randn(50, 16, 20).log_softmax(2).detach().requires_grad_()
        >>> targets = ember.randint(1, 20, (16, 30))
        >>> lengths = ember.full((16,), 50, dtype=ember.long)
        >>> ctc(log_probs, targets, lengths, ember.randint(10, 30, (16,))).backward()
    """

    __constants__ = ["blank", "reduction"]

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction=reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                        self.reduction, self.zero_infinity)
