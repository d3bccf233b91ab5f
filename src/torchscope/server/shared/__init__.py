"""Code several dashboard panels use: reading records for a panel and drawing their images.

No panel imports another panel's module; what two panels share lives here (``records``: records of
a kind for the Evaluation, Explain and Detections panels, images and sprite sheets as PNG;
``data_records``: the Data and Projector panels' ``data.*`` records, read through the provider,
which keeps them rebuilt).
"""
