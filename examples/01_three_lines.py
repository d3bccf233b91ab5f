"""A plain PyTorch training script, instrumented with torchscope in three lines (marked ###).

    python examples/01_three_lines.py [--epochs 3] [--dir tsruns]
    torchscope serve tsruns            # then look at it

``system=1.0`` samples CPU, memory (and GPU) every second; ``graph=True`` logs the model's graph
from the first batch, which the Health panel colours by each layer's statistics.
"""

import argparse

import torch
from torch import nn

import torchscope as ts

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--dir", default="tsruns")
args = parser.parse_args()

torch.manual_seed(0)
data = ts.data.load("digits")  # scikit-learn's 8x8 digits: no download
train, test = data.split(0.8, seed=0, stratify=True)
loader = torch.utils.data.DataLoader(train, batch_size=64, shuffle=True)
model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                      nn.Linear(16 * 4 * 4, 10))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)

run = ts.init(project="examples", name="three-lines", dir=args.dir, config=vars(args), system=1.0)  ###
run.watch(model, every=20, optimizer=opt, graph=True)                                                ###
for epoch in range(args.epochs):
    for x, y in loader:
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        run.log({"train/loss": loss, "epoch": epoch})                                        ###
x_test, y_test = map(torch.as_tensor, test.arrays())
with torch.no_grad():
    acc = (model(x_test.permute(0, 3, 1, 2).float()).argmax(1) == y_test).float().mean().item()
run.summary["test_acc"] = acc
run.finish()
print(f"test accuracy {acc:.3f}; run {run.id} in {run.dir}")
