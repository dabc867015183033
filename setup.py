"""Packaging for octoprint_aiagent: ``pip install .`` or an archive URL in OctoPrint's plugin manager."""

import struct

from setuptools import find_namespace_packages, setup

VERSION = "0.1.0"

# Designing needs these native libraries (octoprint_aiagent/capabilities.py checks the same list).
# The package index has them ready made for 64-bit Pythons only; on a 32-bit Python pip would
# compile them, for hours on a Raspberry Pi or not at all, on every install and update through the
# Plugin Manager. So a 32-bit Python gets the plugin without them, and the plugin says that
# designing needs a 64-bit Python. Decided by the pointer size of the Python that installs: a
# 32-bit OctoPi on a Pi 4 or 5 boots a 64-bit kernel, so platform.machine() says aarch64 there.
# (A wheel built here therefore holds this machine's answer: install from the source archive.)
DESIGN_REQUIRES = ["manifold3d>=3.0", "numpy>=1.22", "scipy>=1.8", "shapely>=2.0", "trimesh>=4.0"]
IS_64_BIT = struct.calcsize("P") == 8

setup(
    name="OctoPrint-AIAgent",
    version=VERSION,
    description="Describe a part in a sentence; get a checked, sliced, printable model in OctoPrint.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    author="octoprint_aiagent maintainers",
    url="https://github.com/octoprint-aiagent/OctoPrint-AIAgent",
    license="AGPLv3",
    python_requires=">=3.9,<4",
    # Namespace discovery, so the data folders (static/js, templates, cad/fonts, ...) are packages
    # of their own, as Python sees them: listed here, setuptools ships their files without
    # warning that they are "absent from the packages configuration".
    packages=find_namespace_packages(include=["octoprint_aiagent", "octoprint_aiagent.*"], exclude=["*.__pycache__"]),
    include_package_data=True,
    package_data={
        "octoprint_aiagent": [
            "static/js/*.js",
            "static/css/*.css",
            "static/vendor/**/*",
            "templates/*.jinja2",
            "slicing/cura_definitions/*.json",
            "cad/fonts/*.ttf",
            "cad/fonts/LICENSE",
        ]
    },
    zip_safe=False,
    install_requires=[
        "OctoPrint>=1.10.0",
        "httpx>=0.25,<1",
        "sniffio",  # httpcore looks for it on every request when missing
        "psutil>=5.9",
        "flask",
        "fonttools>=4.38",  # pure Python; reads the bundled font for cad.text
    ]
    + (DESIGN_REQUIRES if IS_64_BIT else []),
    # Split so that each test venv downloads only what its runs use (scripts/test.sh).
    extras_require={
        "test": ["pytest>=7", "hypothesis>=6", "jsonschema>=4", "prometheus-client>=0.17"],
        "browser": ["playwright>=1.40"],
        "lint": ["ruff>=0.6"],
    },
    entry_points={"octoprint.plugin": ["aiagent = octoprint_aiagent"]},
)
