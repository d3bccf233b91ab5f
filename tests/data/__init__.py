"""Tests of torchscope.data: loaders on real files, views, projector, profile."""
