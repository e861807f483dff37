# The same listing with pyVmomi (Debian's python3-pyvmomi): a container view of every VM,
# RetrievePropertiesEx (+ Continue) of the same properties. Run with /usr/bin/python3.
# Prints `vms=N list_ms=X` per repetition, or with --paced per line read from standard input
# (the bench interleaves clients that way).
import argparse
import ssl
import sys
import time
from urllib.parse import unquote, urlparse

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vmodl, vim

PATHS = ["name", "runtime.powerState", "config.hardware.memoryMB", "config.hardware.numCPU", "config.uuid", "summary"]

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--insecure", action="store_true")
parser.add_argument("--repeat", type=int, default=1)
parser.add_argument("--paced", action="store_true")
args = parser.parse_args()
u = urlparse(args.url)
context = ssl._create_unverified_context() if args.insecure else None
si = SmartConnect(host=u.hostname, port=u.port or 443, user=unquote(u.username or ""), pwd=unquote(u.password or ""), sslContext=context)
content = si.RetrieveContent()
pc = content.propertyCollector
def turns():
    if not args.paced:
        yield from range(args.repeat)
        return
    while sys.stdin.readline():
        yield None


for _ in turns():
    start = time.perf_counter()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    spec = vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(
            obj=view, skip=True,
            selectSet=[vmodl.query.PropertyCollector.TraversalSpec(name="view", type=vim.view.ContainerView, path="view", skip=False)])],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.VirtualMachine, pathSet=PATHS, all=False)])
    result = pc.RetrievePropertiesEx([spec], vmodl.query.PropertyCollector.RetrieveOptions())
    count = 0
    while result:
        count += len(result.objects)
        result = pc.ContinueRetrievePropertiesEx(result.token) if result.token else None
    view.Destroy()
    print("vms=%d list_ms=%.1f" % (count, (time.perf_counter() - start) * 1000), flush=True)
Disconnect(si)
