"""What the app and the metrics know about a pair of domains without loading it (no torch: the app's
pages are built from it). :mod:`xdomain.data.domains` builds the domains and re-exports these names;
it adds the avatar styles' entries when it registers their datasets."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetInfo:
    """What the app and the metrics need to know about a pair of domains, without loading it."""

    name: str
    domain_names: tuple[str, str]  # human names of A and B
    channels: int
    size: int  # native side length the models use
    judge: str = ""  # the judge checkpoint that reads its images (metrics only; never used in training)
    about: str = ""  # one line for newcomers


_INFO = {
    "mnist_cd_cb": DatasetInfo("mnist_cd_cb", ("MNIST-CD", "MNIST-CB"), 3, 32, "judge-mnist",
                               "MNIST-CD: a digit drawn in a random colour on black; MNIST-CB: a white digit on a "
                               "random-colour background (the disentanglement paper's pair)"),
    "mnist_edge": DatasetInfo("mnist_edge", ("Digit", "Digit edges"), 1, 32, "judge-mnist",
                              "an MNIST digit and the edge map of a digit (3×3 dilation minus the image), CoGAN's "
                              "Task A; the training domains come from disjoint halves, so no pair was ever seen"),
    "mnist_negative": DatasetInfo("mnist_negative", ("Digit", "Negative digit"), 1, 32, "judge-mnist",
                                  "an MNIST digit and the negative of a digit (black on white), CoGAN's Task B; the "
                                  "training domains come from disjoint halves, so no pair was ever seen"),
    "usps_mnist": DatasetInfo("usps_mnist", ("USPS", "MNIST"), 1, 32, "judge-mnist"),
    "usps20_mnist": DatasetInfo("usps20_mnist", ("USPS", "MNIST"), 1, 32, "judge-mnist",
                                "USPS postal digits → MNIST handwritten digits"),
    "mnist_usps20": DatasetInfo("mnist_usps20", ("MNIST", "USPS"), 1, 28, "judge-mnist",
                                "MNIST handwritten digits ↔ USPS postal digits (in MNIST's 20-px box, 28×28)"),
    "fashion_bags_shoes": DatasetInfo("fashion_bags_shoes", ("Bags", "Shoes"), 1, 32, "judge-fashion"),
    "celeba_Male": DatasetInfo("celeba_Male", ("Male", "Female"), 3, 64, "judge-celeba-robust"),
    "celeba_blond_black": DatasetInfo("celeba_blond_black", ("Blond hair", "Black hair"), 3, 64, "judge-celeba-robust"),
    "celeba_Eyeglasses": DatasetInfo("celeba_Eyeglasses", ("Eyeglasses", "No eyeglasses"), 3, 64, "judge-celeba-robust"),
    "celeba_emoji": DatasetInfo("celeba_emoji", ("face photo", "emoji"), 3, 64, "judge-face-emoji"),
    "celeba_avatars": DatasetInfo("celeba_avatars", ("face photo", "avatar"), 3, 64, "judge-face-avatar",
                                  "a CelebA face → a DiceBear avatar (the DTN's target set: avatar dataset seed 0)"),
}


def dataset_info(name: str) -> DatasetInfo:
    """The description of a dataset name; any ``celeba_<Attr>`` is ("Attr", "not Attr")."""
    if name in _INFO:
        return _INFO[name]
    if name.startswith("celeba_"):
        attr = name[len("celeba_"):]
        return DatasetInfo(name, (attr.replace("_", " "), f"not {attr.replace('_', ' ')}"), 3, 64, "judge-celeba-robust")
    return DatasetInfo(name, ("A", "B"), 3, 32)
