"""A job's progress on the terminal: one bar per level of its proof tree.

The first bar counts the steps proven in the leaves (every position's range), the next ones
the merges of each level, and the last one the root's compression. Fed by the SDK's events
(`node.client.events`), so `novanode submit` and `novanode demo` show the same thing; on a
terminal that is not interactive (a log file, CI) rich prints nothing animated and each
reassignment or the end shows as one line.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from node.client import (
    Assigned,
    Claimed,
    Compressing,
    Finished,
    LeafProgress,
    MergeDone,
    Reassigned,
    Request,
)


async def show_progress(request: Request, console: Console | None = None) -> Finished:
    """Renders ``request``'s events until the job ends; returns how it ended."""
    console = console or Console(stderr=True)
    columns = (
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        leaves: TaskID | None = None
        merges: dict[int, TaskID] = {}
        done: dict[int, int] = {}
        root: TaskID | None = None
        async for event in request.events():
            if isinstance(event, Assigned):
                steps = sum(p.end - p.start for p in event.positions)
                leaves = progress.add_task(f"leaves ({len(event.positions)})", total=steps)
                for level, count in enumerate(event.merges_per_level, start=1):
                    merges[level] = progress.add_task(f"merges, level {level}", total=count)
                root = progress.add_task("root proof", total=1)
            elif isinstance(event, LeafProgress) and leaves is not None:
                done[event.position] = event.done
                progress.update(leaves, completed=sum(done.values()))
            elif isinstance(event, MergeDone):
                progress.update(merges[event.level], completed=event.done_at_level)
            elif isinstance(event, Compressing) and root is not None:
                progress.update(root, description="root proof (compressing)")
            elif isinstance(event, Reassigned):
                progress.console.print(
                    f"position {event.position} moved to worker {event.worker.hex()[:16]}"
                )
                done[event.position] = 0
            elif isinstance(event, Claimed):
                continue
            elif isinstance(event, Finished):
                if root is not None and event.state.value == "complete":
                    progress.update(root, completed=1, description="root proof")
                return event
    raise AssertionError("the event stream ends with Finished")
