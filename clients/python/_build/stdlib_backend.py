"""A PEP 517 build backend from the standard library alone, so `pip install ./clients/python`
needs no package index (setuptools would have pip fetch it, and `wheel`, first)."""

import base64
import hashlib
import os
import tarfile
import zipfile

NAME, VERSION = "metricservice", "0.1.0"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIST_INFO = "%s-%s.dist-info" % (NAME, VERSION)
METADATA = """Metadata-Version: 2.1
Name: %s
Version: %s
Summary: Client for MetricService: log training metrics without slowing training
Requires-Python: >=3.9
Provides-Extra: pandas
Requires-Dist: pandas; extra == "pandas"
Provides-Extra: system
Requires-Dist: psutil; extra == "system"
""" % (NAME, VERSION)
WHEEL = "Wheel-Version: 1.0\nGenerator: metricservice-stdlib-backend\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _sources():
    package = os.path.join(ROOT, NAME)
    for name in sorted(os.listdir(package)):
        if name.endswith(".py"):
            yield os.path.join(package, name), "%s/%s" % (NAME, name)


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    filename = "%s-%s-py3-none-any.whl" % (NAME, VERSION)
    records = []
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w", zipfile.ZIP_DEFLATED) as wheel:
        def add(arcname, data):
            wheel.writestr(arcname, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            records.append("%s,sha256=%s,%d" % (arcname, digest, len(data)))

        for path, arcname in _sources():
            with open(path, "rb") as source:
                add(arcname, source.read())
        add(DIST_INFO + "/METADATA", METADATA.encode())
        add(DIST_INFO + "/WHEEL", WHEEL.encode())
        records.append(DIST_INFO + "/RECORD,,")
        wheel.writestr(DIST_INFO + "/RECORD", "\n".join(records) + "\n")
    return filename


def build_sdist(sdist_directory, config_settings=None):
    base = "%s-%s" % (NAME, VERSION)
    filename = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz") as sdist:
        for name in ("pyproject.toml", "_build", NAME):
            sdist.add(os.path.join(ROOT, name), arcname="%s/%s" % (base, name),
                      filter=lambda info: None if "__pycache__" in info.name else info)
        pkg_info = os.path.join(sdist_directory, "PKG-INFO")
        with open(pkg_info, "w", encoding="utf-8") as out:
            out.write(METADATA)
        sdist.add(pkg_info, arcname=base + "/PKG-INFO")
        os.remove(pkg_info)
    return filename
