"""GANs made visible: the 2-D GAN lab, image GANs monitored while they train, and GANs as a lens.

Example::

    lab = ts.gan.Lab2D(target="ring"); lab.step(500); lab.figure()
    gan = ts.gan.train_dcgan(ts.data.load("digits"), epochs=40, run=run)
    ts.gan.counterfactual(gan.generator, ts.gan.feature_extractor(ds), "3", "8").figure()
"""

from .checkpoint import ModelCheckpoint, load_checkpoint, save_checkpoint
from .dcgan import Discriminator, Generator
from .directions import LatentDirections, LatentExplorer, directions
from .features import Classifier, FeatureExtractor, feature_extractor
from .lab import Lab2D, LabFrame, LabWorker
from .lens import Interpolation, Neighbours, interpolate, neighbours
from .metrics import GanMetrics, frechet_distance, gan_metrics, kid, precision_recall
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
