#!/usr/bin/env python3
"""torchrun, for Debian 12's PyTorch 1.13 under Python 3.11: there the stock `torchrun` dies at
start ("'NoneType' object has no attribute 'get'") because Python 3.11 no longer lists the
zero flag Std.NONE when iterating the enum its --redirects/--tee parser walks. This runs the same
launcher (torch.distributed.run) with that parser fixed; every flag is torchrun's:

  /usr/bin/python3 models/torch/torchrun.py --nproc_per_node 2 models/torch/train.py --model sasrec ...

(The stock launcher also works when given non-zero values, `torchrun --redirects 1 --tee 1 ...`,
but then prefixes every output line with the worker's name: use train.py's --report FILE.)"""
import re
import sys

from torch.distributed.elastic.multiprocessing import api


def _from_str(cls, vm):
    if re.match(api._VALUE_REGEX, vm):
        return cls(int(vm))
    if re.match(api._MAPPING_REGEX, vm):
        return {int(i): cls(int(v)) for i, v in (m.split(":") for m in vm.split(","))}
    raise ValueError(f"{vm} does not match: {api._VALUE_REGEX} or {api._MAPPING_REGEX}")


api.Std.from_str = classmethod(_from_str)

from torch.distributed.run import main  # noqa: E402

if __name__ == "__main__":
    sys.argv[0] = "torchrun"
    main()
