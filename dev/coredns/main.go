// CoreDNS for the real nodes of the local cluster, with only the plugins their Corefile uses
// (argosy.devcluster.realnode.corefile): bind, errors, health, kubernetes, cache.
//
// CoreDNS chooses its plugins at compile time. Its own main imports all of them, among them the
// route53, azure and clouddns plugins with the AWS, Azure and Google Cloud SDKs, etcd, dnstap
// and QUIC: most of the newcomer's cold build of CoreDNS compiled code the cluster never runs.
// This is CoreDNS's documented way to build a smaller server (a main of its own that imports the
// plugins and sets dnsserver.Directives, the order plugins run in, as plugin.cfg orders them).
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
)

// plugin.cfg's order, restricted to the plugins above.
var directives = []string{"bind", "health", "errors", "cache", "kubernetes"}

func init() {
	dnsserver.Directives = directives
}

func main() {
	coremain.Run()
}
