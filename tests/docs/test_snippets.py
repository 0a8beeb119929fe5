"""Every snippet is a test: each ```python block of README.md and docs/**/*.md runs.

The blocks of a page share one namespace, in order, as a reader following the page would run
them. Objects a page leaves to the reader (a model, a data loader, a checkpoint, a process group)
come from the stand-ins named in a ``<!-- snippet: setup=... -->`` comment above the block
(``tests/docs/standins.py``): real, tiny, never a mock. A page that uses Keras or a stand-in that
changes the process for good runs in a fresh interpreter. See ``tests/docs/snippets.py``.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from tests.docs import snippets

PAGES = [snippets.parse(p) for p in snippets.pages()]
# pages run in their own interpreter come last: they start in the background at the first test
BLOCKS = [(page, i) for page in sorted(PAGES, key=lambda p: p.needs_process) for i in range(len(page.blocks))]
_results: dict[str, list[str | None]] = {}
_futures: dict[str, Future] = {}
_pool = ThreadPoolExecutor(max_workers=2)


def _start_processes(wanted: set[str]) -> None:
    """The selected pages that need their own interpreter start in the background, two at a
    time, at the first test; the in-process pages run meanwhile."""
    for page in PAGES:
        if page.path in wanted and page.path not in _futures:
            _futures[page.path] = _pool.submit(snippets.run_page_in_process, page)


@pytest.fixture(scope="module", autouse=True)
def _background(request):
    wanted = set()
    for item in request.session.items:
        spec = getattr(item, "callspec", None)
        if spec is not None and item.module is request.module and "page" in spec.params:
            page = spec.params["page"]
            if page.needs_process and not page.blocks[spec.params["index"]].skip:
                wanted.add(page.path)
    _start_processes(wanted)
    yield
    _pool.shutdown(wait=False, cancel_futures=True)


def _run(page: snippets.Page, tmp_dir) -> list[str | None]:
    if page.path not in _results:
        if page.needs_process:
            _start_processes({page.path})
            _results[page.path] = _futures[page.path].result()
        else:
            threads = sys.modules["torch"].get_num_threads() if "torch" in sys.modules else None
            cwd = os.getcwd()
            os.chdir(tmp_dir)
            try:
                _results[page.path] = snippets.run_page_here(page)
            finally:
                os.chdir(cwd)
                if threads is not None and "torch" in sys.modules:
                    sys.modules["torch"].set_num_threads(threads)
                if "matplotlib.pyplot" in sys.modules:
                    sys.modules["matplotlib.pyplot"].close("all")
    return _results[page.path]


def test_pages_are_found_and_have_blocks():
    paths = {p.path for p in PAGES}
    assert "README.md" in paths and "docs/index.md" in paths and "docs/api.md" in paths
    assert len(BLOCKS) >= 40


@pytest.mark.parametrize(("page", "index"), BLOCKS, ids=[p.blocks[i].id for p, i in BLOCKS])
def test_block_runs(page, index, tmp_path_factory):
    block = page.blocks[index]
    if block.skip:
        pytest.skip(f"{block.id}: {block.skip}")
    results = _run(page, tmp_path_factory.mktemp("snippets"))
    err = results[index]
    if err is not None:
        pytest.fail(f"{block.id} fails:\n{block.code}\n{err}", pytrace=False)
