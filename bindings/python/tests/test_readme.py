"""The README's Python example runs and prints what its comments say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import WORKSPACE
from test_plan import JHOSTER_FREEBSD


def example() -> str:
    readme = (WORKSPACE / "README.md").read_text()
    section = readme.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "one Python example in the README's Python section"
    return str(blocks[0])


def test_readme_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = example()
    assert '"/tmp/vpc-example"' in code
    exec(compile(code.replace("/tmp/vpc-example", str(tmp_path / "state")), "README.md", "exec"), {})
    assert capsys.readouterr().out == (
        "1430\n"
        "vxlan1 (VNI 1): jhoster1.olevole.ru 10.100.0.1/30 <-> gold-hoster-02.hz.fbs.dev 10.100.0.2/30\n"
        "vxlan2 (VNI 2): jhoster1.olevole.ru 10.100.0.5/30 <-> gold-hoster1.prod.inf.hz.fbs.dev 10.100.0.6/30\n"
        "vxlan3 (VNI 3): gold-hoster-02.hz.fbs.dev 10.100.0.9/30 <-> gold-hoster1.prod.inf.hz.fbs.dev 10.100.0.10/30\n"
        + JHOSTER_FREEBSD
        + "peer_network 10.200.0.0/30 holds 1 links of /30; 3 are needed for 3 members\n"
    )
