"""What the benchmark image holds, and the tag that names exactly that.

Both routes (a Dockerfile on a Debian base image, or a debootstrap root filesystem
imported into the daemon) build from this one recipe, and the image is tagged
``jitskit-bench:<hash of the recipe>``: change a package and every host needs a rebuild,
which an evaluation then asks for by name.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from jitskit_tui.protocol.sandbox_layout import LAYOUT

IMAGE_REPOSITORY = "jitskit-bench"
RECIPE_VERSION = 1
SANDBOX_UID = 1000
SANDBOX_GID = 1000
SANDBOX_USER_NAME = "bench"
LABEL_RECIPE = "io.jitskit.image-recipe"
LABEL_ROUTE = "io.jitskit.image-route"


@dataclass(frozen=True)
class ImageRecipe:
    suite: str = "bookworm"
    """Debian release: the base image's tag and debootstrap's suite."""
    base_image: str = "debian:bookworm-slim"
    packages: tuple[str, ...] = (
        "g++",
        "make",
        "librocksdb-dev",
        "libleveldb-dev",
        "liblmdb-dev",
        "libtbb-dev",
        "strace",
    )
    trimmed: tuple[str, ...] = (
        "var/lib/apt/lists",
        "var/cache/apt",
        "var/cache/debconf",
        "var/log",
        "usr/share/doc",
        "usr/share/man",
        "usr/share/info",
        "usr/share/locale",
    )
    """Directories whose contents are removed after installing: nothing a build reads."""
    env: tuple[tuple[str, str], ...] = (
        ("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
        ("LANG", "C.UTF-8"),
        ("HOME", LAYOUT.home),
    )
    owned_dirs: tuple[str, ...] = LAYOUT.volumes
    """Mount points owned by the sandbox user; volumes mounted there inherit it."""
    uid: int = SANDBOX_UID
    gid: int = SANDBOX_GID
    version: int = RECIPE_VERSION

    def digest(self) -> str:
        canonical = json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def tag(self) -> str:
        return f"{IMAGE_REPOSITORY}:{self.digest()[:16]}"

    def passwd_line(self) -> str:
        return f"{SANDBOX_USER_NAME}:x:{self.uid}:{self.gid}:jitskit sandbox:{LAYOUT.home}:/bin/sh"

    def group_line(self) -> str:
        return f"{SANDBOX_USER_NAME}:x:{self.gid}:"

    def image_changes(self) -> list[str]:
        """Dockerfile instructions that set the image's configuration (both routes)."""
        changes = [f"ENV {key}={value}" for key, value in self.env]
        changes += [f"WORKDIR {LAYOUT.work}", 'CMD ["sleep", "infinity"]']
        return changes

    def dockerfile(self) -> str:
        trimmed = " ".join(f"/{path}/*" for path in self.trimmed)
        owned = " ".join(self.owned_dirs)
        lines = [
            f"FROM {self.base_image}",
            "RUN apt-get update \\",
            " && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\",
            f"      {' '.join(self.packages)} \\",
            f" && rm -rf {trimmed}",
            f"RUN mkdir -p {owned} \\",
            f" && chown {self.uid}:{self.gid} {owned} \\",
            f" && echo '{self.passwd_line()}' >> /etc/passwd \\",
            f" && echo '{self.group_line()}' >> /etc/group",
            *self.image_changes(),
        ]
        return "\n".join(lines) + "\n"


RECIPE = ImageRecipe()


def image_tag(recipe: ImageRecipe = RECIPE) -> str:
    """``jitskit-bench:<hash>``: the image an evaluation needs on its Docker host."""
    return recipe.tag
