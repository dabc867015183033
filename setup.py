"""Packaging for octoprint_aiagent: ``pip install .`` or an archive URL in OctoPrint's plugin manager."""

from setuptools import find_packages, setup

VERSION = "0.1.0"

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
    packages=find_packages(include=["octoprint_aiagent", "octoprint_aiagent.*"]),
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
        "numpy>=1.22",
        "trimesh>=4.0",
        "manifold3d>=2.5",
        "shapely>=2.0",
        "scipy>=1.8",
        "fonttools>=4.38",  # pure Python; reads the bundled font for cad.text
    ],
    extras_require={"test": ["pytest>=7", "hypothesis>=6", "playwright>=1.40", "prometheus-client>=0.17", "ruff>=0.6"]},
    entry_points={"octoprint.plugin": ["aiagent = octoprint_aiagent"]},
)
