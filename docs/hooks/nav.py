"""MkDocs hook: pages written by other parts of the project join the navigation when they
exist, so ``mkdocs.yml`` never names a missing page (which ``--strict`` rejects) and a new page
is never left out.

``OPTIONAL_PAGES`` gives their order and titles; any other Markdown page under ``docs/`` that
the navigation does not list is appended under "More".
"""

from __future__ import annotations

import os
from typing import Any

OPTIONAL_PAGES = [
    ("PyTorch driver", "torch.md"),
    ("LR finder", "finder.md"),
    ("Per-layer rates and transfer learning", "transfer.md"),
    ("Dialects: TensorFlow, Keras, optax, DeepSpeed", "compat-tf-keras-optax-deepspeed.md"),
    ("Dialects: torch, Hugging Face, timm", "compat-torch-hf-timm.md"),
    ("Keras 3, JAX/optax and TensorFlow", "frameworks.md"),
]


def _listed(nav: Any) -> set[str]:
    out: set[str] = set()
    if isinstance(nav, str):
        out.add(nav)
    elif isinstance(nav, dict):
        for v in nav.values():
            out |= _listed(v)
    elif isinstance(nav, list):
        for item in nav:
            out |= _listed(item)
    return out


def on_config(config: Any) -> Any:
    nav = config.get("nav")
    if nav is None:
        return config
    docs = config["docs_dir"]
    listed = _listed(nav)
    guides = [{title: path} for title, path in OPTIONAL_PAGES
              if path not in listed and os.path.isfile(os.path.join(docs, path))]
    known = listed | {p for _, p in OPTIONAL_PAGES}
    extra = []
    for root, dirs, files in os.walk(docs):
        dirs[:] = sorted(d for d in dirs if d not in ("hooks", "javascripts", "figures"))
        for f in sorted(files):
            rel = os.path.relpath(os.path.join(root, f), docs).replace(os.sep, "/")
            if f.endswith(".md") and rel not in known:
                extra.append(rel)
    if guides:
        nav.append({"Guides": guides})
    if extra:
        nav.append({"More": extra})
    return config
