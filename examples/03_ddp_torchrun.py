"""Distributed data parallel training on CPU (gloo), every rank's data in one run.

    torchrun --standalone --nproc_per_node=2 examples/03_ddp_torchrun.py [--dir tsruns]

By default only rank 0 logs; ``all_ranks=True`` keeps every rank's points, labelled by rank
(``store.scalars(run_id, "train/loss", rank=1)``).
"""

import argparse

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

import torchscope as ts

parser = argparse.ArgumentParser()
parser.add_argument("--dir", default="tsruns")
parser.add_argument("--steps", type=int, default=100)
args = parser.parse_args()

dist.init_process_group("gloo")
rank = dist.get_rank()
torch.manual_seed(rank)
model = DistributedDataParallel(nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1)))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
run = ts.init(project="examples", name="ddp", dir=args.dir, all_ranks=True)  # after init_process_group
for step in range(args.steps):
    x = torch.randn(32, 8)
    loss = (model(x).squeeze(1) - x.sum(1)).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    run.log({"train/loss": loss}, step=step)
run.finish()
dist.destroy_process_group()
if rank == 0:
    print(f"run {run.id}: {args.steps} steps on {dist.get_world_size() if dist.is_initialized() else 2} ranks")
