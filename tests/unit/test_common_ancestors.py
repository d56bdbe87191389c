"""common_ancestors (service/engine/history.py) against the plain definition, on trees of every shape."""

from __future__ import annotations

import random
from dataclasses import dataclass

from service.engine.history import common_ancestors


@dataclass(eq=False)
class Node:
    parent: Node | None


def _line(node: Node | None) -> list[Node]:
    out = []
    while node is not None:
        out.append(node)
        node = node.parent
    return out


def _by_definition(tasks: list[Node]) -> list[Node]:
    # Every ancestor (self included) of the first task that is an ancestor of each of the others, deepest first.
    lines = [set(map(id, _line(task))) for task in tasks[1:]]
    return [a for a in _line(tasks[0]) if all(id(a) in line for line in lines)]


def _tree(rng: random.Random, size: int) -> list[Node]:
    nodes = [Node(None)]
    for _ in range(size - 1):
        # Deep chains (a loop's history) as well as bushy levels (parallel branches).
        parent = nodes[-1] if rng.random() < 0.6 else rng.choice(nodes)
        nodes.append(Node(parent))
    return nodes


def test_common_ancestors_is_the_shared_part_of_every_line_to_the_root() -> None:
    rng = random.Random(15)
    for _ in range(400):
        nodes = _tree(rng, rng.randint(1, 120))
        tasks = rng.sample(nodes, rng.randint(1, min(8, len(nodes))))
        assert common_ancestors(tasks) == _by_definition(tasks)


def test_tasks_of_two_trees_share_nothing() -> None:
    first, second = Node(None), Node(None)
    assert common_ancestors([Node(first), Node(second)]) == []


def test_one_task_shares_its_whole_line() -> None:
    root = Node(None)
    leaf = Node(Node(root))
    assert common_ancestors([leaf]) == [leaf, leaf.parent, root]
