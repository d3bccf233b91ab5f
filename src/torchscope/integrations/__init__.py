"""Drop-in integrations: TensorBoard's SummaryWriter, TensorBoard import, Lightning and Hugging Face."""

from .tb_import import import_tensorboard
from .tensorboard import SummaryWriter

__all__ = ["SummaryWriter", "import_tensorboard"]
