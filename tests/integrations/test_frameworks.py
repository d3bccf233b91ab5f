"""The Lightning logger and the Hugging Face Trainer callback, each in a tiny real training run."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

import torchscope as ts


def test_lightning_logger(tmp_path):
    pl = pytest.importorskip("lightning.pytorch")
    from torchscope.integrations.lightning import TorchscopeLogger

    class Module(pl.LightningModule):
        def __init__(self, lr: float = 0.05, hidden: int = 16) -> None:
            super().__init__()
            self.save_hyperparameters()
            self.net = nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, 2))

        def training_step(self, batch, _):
            x, y = batch
            loss = nn.functional.cross_entropy(self.net(x), y)
            self.log("train_loss", loss)
            return loss

        def validation_step(self, batch, _):
            x, y = batch
            self.log("val_acc", (self.net(x).argmax(1) == y).float().mean())

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

    torch.manual_seed(0)
    x = torch.randn(256, 4)
    data = TensorDataset(x, (x[:, 0] > 0).long())
    logger = TorchscopeLogger(project="pl", name="tiny", dir=tmp_path / "ts", watch="all", watch_every=5)
    trainer = pl.Trainer(max_epochs=3, logger=logger, log_every_n_steps=2, enable_progress_bar=False,
                         enable_checkpointing=False, enable_model_summary=False, accelerator="cpu")
    model = Module()
    logger.watch(model)
    trainer.fit(model, DataLoader(data, batch_size=32), DataLoader(data, batch_size=64))
    store = ts.open(tmp_path / "ts")
    (info,) = store.runs()
    assert (info.project, info.name, info.status) == ("pl", "tiny", "finished")
    assert info.config == {"lr": 0.05, "hidden": 16}
    keys = {k.key for k in store.keys(info.id, "scalar")}
    assert {"train_loss", "val_acc", "epoch"} <= keys
    assert "watch/net.0/grad_norm" in keys
    loss = store.scalars(info.id, "train_loss")
    assert len(loss) == 3 * 8 // 2 and loss.value[-1] < loss.value[0]
    assert len(store.scalars(info.id, "val_acc")) == 3 and store.scalars(info.id, "val_acc").value[-1] > 0.6


class _Pairs(Dataset):
    def __init__(self, n: int) -> None:
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 4, generator=g)
        self.y = (self.x[:, 0] > 0).long()

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i):
        return {"x": self.x[i], "labels": self.y[i]}


class _HFModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))

    def forward(self, x, labels=None):
        logits = self.net(x)
        loss = nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return {"loss": loss, "logits": logits}


def test_huggingface_trainer_callback(tmp_path):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    from torchscope.integrations.huggingface import TorchscopeCallback

    args = transformers.TrainingArguments(output_dir=str(tmp_path / "out"), num_train_epochs=2,
                                          per_device_train_batch_size=16, learning_rate=0.05, logging_steps=4,
                                          eval_strategy="epoch", report_to=[], save_strategy="no", use_cpu=True,
                                          disable_tqdm=True)
    cb = TorchscopeCallback(project="hf", name="tiny", dir=tmp_path / "ts", watch="gradients", watch_every=4)
    trainer = transformers.Trainer(model=_HFModel(), args=args, train_dataset=_Pairs(128),
                                   eval_dataset=_Pairs(64), callbacks=[cb])
    trainer.train()
    store = ts.open(tmp_path / "ts")
    (info,) = store.runs()
    assert (info.project, info.name, info.status) == ("hf", "tiny", "finished")
    assert info.config["args/learning_rate"] == 0.05 and info.config["args/num_train_epochs"] == 2
    keys = {k.key for k in store.keys(info.id, "scalar")}
    assert {"train/loss", "train/learning_rate", "eval/loss"} <= keys
    assert "watch/net.0/grad_norm" in keys
    assert store.scalars(info.id, "train/loss").step.tolist() == [4, 8, 12, 16]
    assert info.summary["global_step"] == 16
