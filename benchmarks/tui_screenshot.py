"""The README's screenshot: the dashboard during a real run of specs/demo.yaml.

Starts the run from the editor with the offline scripted agent (as a person would: Ctrl+R,
then Start), waits until a few iterations are committed and an agent is talking after a benchmark,
sends a steering note, and saves the screen as SVG (Textual) and PNG (rsvg-convert).

    .venv/bin/python benchmarks/tui_screenshot.py [--out docs/dashboard] [--size 140x40]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from jitskit_tui.launch.choices import RunChoices
from jitskit_tui.tui.app import JitskitApp, make_app

REPO = Path(__file__).resolve().parent.parent


async def capture(out: Path, size: tuple[int, int], iterations: int) -> Path:
    with tempfile.TemporaryDirectory(prefix="jitskit-shot-") as tmp:
        work = Path(tmp)
        (work / "specs").mkdir()
        shutil.copy(REPO / "specs" / "demo.yaml", work / "specs" / "demo.yaml")
        choices = RunChoices(
            agent_options={"pace": "fast"}, baselines=False, workspaces=work / "workspaces"
        )
        app = make_app(work / "specs" / "demo.yaml", cursor_blink=False, run_defaults=choices)
        async with app.run_test(size=size) as pilot:
            assert isinstance(app, JitskitApp)
            await pilot.pause(1.0)
            await pilot.press("ctrl+r")
            await pilot.pause(1.0)
            await pilot.press("ctrl+s")
            deadline = time.monotonic() + 900
            steered = False
            while time.monotonic() < deadline:
                await pilot.pause(0.5)
                feeds = list(app.feeds.values())
                if not feeds:
                    continue
                view = feeds[0].view
                state = view.state
                if not steered and state.completed >= iterations - 1:
                    await pilot.press("s")
                    await pilot.pause(0.5)
                    await pilot.press(*"Keep the seqlock; try huge pages for the table", "enter")
                    steered = True
                # The quick benchmark of a fast store lasts a second or two: catch the
                # moment after one, with its curve on the live chart and an agent talking.
                ticked = view.last_ticked
                ticks = ticked.tick_count if ticked is not None else 0
                talking = state.loop_state in ("critiquing", "planning", "coding")
                if state.completed >= iterations and talking and ticks >= 4:
                    break
            await pilot.press("less_than_sign")  # the best iteration's neighbour, for the diff
            await pilot.pause(1.5)
            svg = out.with_suffix(".svg")
            app.save_screenshot(str(svg.name), path=str(svg.parent))
            await pilot.press("ctrl+q")
            await pilot.pause(0.2)
            if app.screen.__class__.__name__ == "ConfirmDialog":
                await pilot.press("y")
                await pilot.pause(3)
    return svg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "dashboard")
    parser.add_argument("--size", default="140x40")
    parser.add_argument("--iterations", type=int, default=2)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    svg = asyncio.run(capture(args.out, (width, height), args.iterations))
    png = args.out.with_suffix(".png")
    subprocess.run(["rsvg-convert", str(svg), "-o", str(png)], check=True)
    print(f"wrote {svg} and {png}")


if __name__ == "__main__":
    main()
