// vcsim for esx-vi's tests: govmomi's simulator (Debian's golang-github-vmware-govmomi-dev)
// with a chosen inventory, served on loopback. It prints one JSON line with the URL and
// the certificate's thumbprints, then runs until its standard input closes.
package main

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/vmware/govmomi/simulator"
)

func thumbprint(sum []byte) string {
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

func main() {
	esx := flag.Bool("esx", false, "simulate a standalone ESX host instead of vCenter")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	user := flag.String("user", "user", "user name that may log in")
	pass := flag.String("pass", "pass", "its password")
	useTLS := flag.Bool("tls", true, "serve HTTPS with a self-signed certificate")
	datacenters := flag.Int("dc", 1, "datacenters (vCenter model)")
	clusters := flag.Int("cluster", 1, "clusters per datacenter")
	clusterHosts := flag.Int("host", 3, "hosts per cluster")
	standalone := flag.Int("standalone-host", 1, "standalone hosts per datacenter")
	machines := flag.Int("vm", 2, "VMs per host (ESX) or per resource pool")
	datastores := flag.Int("ds", 1, "datastores")
	folders := flag.Int("folder", 0, "folders around each datacenter")
	idle := flag.Duration("session-idle-timeout", 0, "expire idle sessions after this long (0: never)")
	flag.Parse()

	var model *simulator.Model
	if *esx {
		model = simulator.ESX()
	} else {
		model = simulator.VPX()
		model.Datacenter = *datacenters
		model.Cluster = *clusters
		model.ClusterHost = *clusterHosts
		model.Host = *standalone
		model.Folder = *folders
	}
	model.Machine = *machines
	model.Datastore = *datastores
	if *idle > 0 {
		simulator.SessionIdleTimeout = *idle
	}
	if err := model.Create(); err != nil {
		fmt.Fprintln(os.Stderr, "vcsim: create:", err)
		os.Exit(1)
	}
	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*user, *pass)}
	if *useTLS {
		model.Service.TLS = new(tls.Config)
	}
	server := model.Service.NewServer()

	info := map[string]interface{}{"url": server.URL.String(), "esx": *esx}
	if *useTLS {
		cert := server.Certificate()
		s256 := sha256.Sum256(cert.Raw)
		s1 := sha1.Sum(cert.Raw)
		info["sha256"] = thumbprint(s256[:])
		info["sha1"] = thumbprint(s1[:])
		if file, err := server.CertificateFile(); err == nil {
			info["certFile"] = file
		}
	}
	line, _ := json.Marshal(info)
	fmt.Println(string(line))

	// Stop when the parent goes away (stdin closes), whatever happens to it.
	_, _ = io.Copy(io.Discard, os.Stdin)
	done := make(chan struct{})
	go func() {
		server.Close()
		model.Remove()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}
