"""A script written for TensorBoard, moved to torchscope by changing one import line.

    python examples/02_summarywriter_migration.py [--logdir runs]
    torchscope serve runs              # finds every run below runs/, like tensorboard --logdir runs
"""

import argparse

import torch
from torch import nn

# from torch.utils.tensorboard import SummaryWriter
from torchscope import SummaryWriter

parser = argparse.ArgumentParser()
parser.add_argument("--logdir", default="runs")
parser.add_argument("--steps", type=int, default=200)
args = parser.parse_args()

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for lr in (0.1, 0.01):
    for group in opt.param_groups:
        group["lr"] = lr
    writer = SummaryWriter(f"{args.logdir}/lr{lr}")
    for step in range(args.steps):
        x = torch.randn(64, 2)
        y = (x[:, :1] * x[:, 1:]).sign()
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        writer.add_scalar("loss", loss.item(), step)
        if step % 50 == 0:
            writer.add_histogram("weights/0", model[0].weight, step)
    writer.add_hparams({"lr": lr}, {"hparam/final_loss": loss.item()})
    writer.close()
print(f"wrote two runs under {args.logdir}")
