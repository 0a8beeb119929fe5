import subprocess
import sys


def test_import_lrkit_is_light():
    code = (
        "import sys, lrkit\n"
        "heavy = [m for m in ('torch', 'jax', 'keras', 'tensorflow', 'matplotlib', 'optax') "
        "if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
