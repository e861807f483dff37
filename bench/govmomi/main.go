// The same listing with govmomi (Debian's golang-github-vmware-govmomi-dev): a container
// view of every VM, RetrievePropertiesEx (+ Continue) of the same properties into
// mo.VirtualMachine values. Prints `vms=N list_ms=X` per repetition, or with -paced per line
// read from standard input (the bench interleaves clients that way).
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
)

func main() {
	raw := flag.String("url", "", "https://user:pass@host/sdk")
	insecure := flag.Bool("insecure", false, "skip TLS verification")
	repeat := flag.Int("repeat", 1, "repetitions")
	paced := flag.Bool("paced", false, "one listing per line read from standard input, until it closes")
	flag.Parse()
	u, err := url.Parse(*raw)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx := context.Background()
	c, err := govmomi.NewClient(ctx, u, *insecure)
	if err != nil {
		fmt.Fprintln(os.Stderr, "connect:", err)
		os.Exit(1)
	}
	props := []string{"name", "runtime.powerState", "config.hardware.memoryMB", "config.hardware.numCPU", "config.uuid", "summary"}
	lines := bufio.NewScanner(os.Stdin)
	for i := 0; ; i++ {
		if *paced {
			if !lines.Scan() {
				break
			}
		} else if i >= *repeat {
			break
		}
		start := time.Now()
		m := view.NewManager(c.Client)
		v, err := m.CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
		if err != nil {
			fmt.Fprintln(os.Stderr, "view:", err)
			os.Exit(1)
		}
		var vms []mo.VirtualMachine
		if err := v.Retrieve(ctx, []string{"VirtualMachine"}, props, &vms); err != nil {
			fmt.Fprintln(os.Stderr, "retrieve:", err)
			os.Exit(1)
		}
		_ = v.Destroy(ctx)
		fmt.Printf("vms=%d list_ms=%.1f\n", len(vms), float64(time.Since(start).Microseconds())/1000)
	}
	_ = c.Logout(ctx)
}
