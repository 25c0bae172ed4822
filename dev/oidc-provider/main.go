// Command oidc-provider is the OpenID Connect provider Argosy's SSO tests log in
// through: zitadel/oidc's example provider (a certified OpenID provider library),
// with its in-memory storage, plus a "groups" claim, on a loopback port.
//
// Environment:
//
//	ADDR            host:port to listen on; the issuer is http://ADDR/
//	USERS_FILE      JSON map of user id -> user, as the zitadel example reads it
//	GROUPS_FILE     JSON map of user id -> group names (the "groups" claim)
//	WEB_CLIENT      id:secret:redirectURI of the confidential client (Argosy's server)
//	NATIVE_CLIENT   id of the public PKCE client (the CLI; any loopback port)
//
// The first line on stdout, "listening http://ADDR/", tells the caller it is ready.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

const groupsScope = "groups"

// groupsClient allows the "groups" scope and puts the user's claims in the ID token
// (as Dex does), which is where Argo CD and Argosy read them.
type groupsClient struct{ op.Client }

func (c groupsClient) IsScopeAllowed(scope string) bool {
	return scope == groupsScope || c.Client.IsScopeAllowed(scope)
}

func (c groupsClient) IDTokenUserinfoClaimsAssertion() bool { return true }

type groupsStorage struct {
	*storage.Storage
	groups map[string][]string
}

func (s *groupsStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return groupsClient{c}, nil
}

func (s *groupsStorage) addGroups(info *oidc.UserInfo, userID string, scopes []string) {
	if slices.Contains(scopes, groupsScope) {
		if groups, ok := s.groups[userID]; ok {
			info.AppendClaims(groupsScope, groups)
		}
	}
}

func (s *groupsStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, req, scopes); err != nil {
		return err
	}
	s.addGroups(info, req.GetSubject(), scopes)
	return nil
}

func (s *groupsStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := s.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin); err != nil {
		return err
	}
	s.addGroups(info, info.Subject, []string{groupsScope})
	return nil
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "oidc-provider: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:9998"
	}
	issuer := "http://" + addr + "/"
	users, err := storage.StoreFromFile(os.Getenv("USERS_FILE"))
	if err != nil {
		fail("USERS_FILE: %v", err)
	}
	groups := map[string][]string{}
	if path := os.Getenv("GROUPS_FILE"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			fail("GROUPS_FILE: %v", err)
		}
		if err := json.Unmarshal(data, &groups); err != nil {
			fail("GROUPS_FILE: %v", err)
		}
	}
	clients := map[string]*storage.Client{}
	if spec := os.Getenv("WEB_CLIENT"); spec != "" {
		parts := strings.SplitN(spec, ":", 3)
		if len(parts) != 3 {
			fail("WEB_CLIENT must be id:secret:redirectURI")
		}
		clients[parts[0]] = storage.WebClient(parts[0], parts[1], strings.Split(parts[2], ",")...)
	}
	if id := os.Getenv("NATIVE_CLIENT"); id != "" {
		clients[id] = storage.NativeClient(id, "http://localhost/auth/callback", "http://127.0.0.1/auth/callback")
	}
	store := &groupsStorage{storage.NewStorageWithClients(users, clients), groups}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	router := exampleop.SetupServer(issuer, store, logger, false)
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		fail("listen %s: %v", addr, err)
	}
	fmt.Printf("listening %s\n", issuer)
	if err := http.Serve(listener, router); err != nil {
		fail("%v", err)
	}
}
