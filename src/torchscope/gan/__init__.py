"""GANs made visible: the 2-D GAN lab, image GANs monitored while they train, and GANs as a lens.

Example::

    lab = ts.gan.Lab2D(target="ring"); lab.step(500); lab.figure()
    gan = ts.gan.train_dcgan(ts.data.load("digits"), epochs=40, run=run)
    ts.gan.counterfactual(gan.generator, ts.gan.feature_extractor(ds), "3", "8").figure()
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_package

if TYPE_CHECKING:
    from .checkpoint import ModelCheckpoint, load_checkpoint, save_checkpoint
    from .dcgan import Discriminator, Generator
    from .directions import LatentDirections, LatentExplorer, directions
    from .features import Classifier, FeatureExtractor, feature_extractor
    from .lab import Lab2D, LabFrame, LabWorker
    from .lens import Interpolation, Neighbours, interpolate, neighbours
    from .manifold import precision_recall
    from .metrics import GanMetrics, frechet_distance, gan_metrics, kid
    from .monitor import Monitor
    from .prototypes import Counterfactual, Prototypes, class_means, counterfactual, prototypes
    from .timeline import Timeline, timeline
    from .train import DCGAN, train_dcgan

__all__ = [
    "DCGAN",
    "Classifier",
    "Counterfactual",
    "Discriminator",
    "FeatureExtractor",
    "GanMetrics",
    "Generator",
    "Interpolation",
    "Lab2D",
    "LabFrame",
    "LabWorker",
    "LatentDirections",
    "LatentExplorer",
    "ModelCheckpoint",
    "Monitor",
    "Neighbours",
    "Prototypes",
    "Timeline",
    "class_means",
    "counterfactual",
    "directions",
    "feature_extractor",
    "frechet_distance",
    "gan_metrics",
    "interpolate",
    "kid",
    "load_checkpoint",
    "neighbours",
    "precision_recall",
    "prototypes",
    "save_checkpoint",
    "timeline",
    "train_dcgan",
]

# each name loads on first use: the records read back (and `torchscope serve`) without torch
lazy_package(__name__, {
    "ModelCheckpoint": ".checkpoint", "load_checkpoint": ".checkpoint", "save_checkpoint": ".checkpoint",
    "Discriminator": ".dcgan", "Generator": ".dcgan", "LatentDirections": ".directions",
    "LatentExplorer": ".directions", "directions": ".directions", "Classifier": ".features",
    "FeatureExtractor": ".features", "feature_extractor": ".features", "Lab2D": ".lab", "LabFrame": ".lab",
    "LabWorker": ".lab", "Interpolation": ".lens", "Neighbours": ".lens", "interpolate": ".lens",
    "neighbours": ".lens", "precision_recall": ".manifold", "GanMetrics": ".metrics", "frechet_distance": ".metrics",
    "gan_metrics": ".metrics", "kid": ".metrics", "Monitor": ".monitor", "Counterfactual": ".prototypes",
    "Prototypes": ".prototypes", "class_means": ".prototypes", "counterfactual": ".prototypes",
    "prototypes": ".prototypes", "Timeline": ".timeline", "timeline": ".timeline", "DCGAN": ".train",
    "train_dcgan": ".train",
})
