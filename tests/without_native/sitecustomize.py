"""Put this folder on PYTHONPATH to run Python as if the native libraries were not installed,
as on a 32-bit Python, where setup.py leaves them out: importing them fails as for a missing
module, and ``importlib.util.find_spec`` cannot find them either."""

import sys

HIDDEN = {"manifold3d", "numpy", "scipy", "shapely", "trimesh"}


class HideNativeModules:
    @staticmethod
    def find_spec(name, path=None, target=None):
        # Any other name: None, and the next finder looks for it.
        if name.partition(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


sys.meta_path.insert(0, HideNativeModules)
