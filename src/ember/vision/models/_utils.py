"""What the zoo's builders share: the pretrained-weights refusal."""


def no_pretrained(weights, name):
    """ember cannot download weights; say how to load torchvision's instead."""
    if weights is not None:
        raise RuntimeError(
            f"{name}(weights={weights!r}): pretrained weights cannot be downloaded by ember. Load a "
            f"torchvision checkpoint instead: model = {name}(); "
            "model.load_state_dict(ember.load('path/to/checkpoint.pth'))")
