// Command ksops is Argosy's reference build of the KSOPS kustomize plugin, used
// only by the equivalence tests and the benchmark (the repo server never needs it).
//
// The Go module proxy does not serve github.com/viaduct-ai/kustomize-sops, so
// this small program reproduces its legacy exec-plugin behaviour (kustomize
// runs "ksops CONFIG_FILE" from the kustomization directory): the same
// decryption library (github.com/getsops/sops/v3/decrypt, at the version of the
// sops binary Argosy pins), the same dotenv parser (github.com/joho/godotenv)
// and the same Secret layout (stringData for files and envs, data for
// binaryFiles, metadata and type copied, documents separated by "---").
package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/getsops/sops/v3/cmd/sops/formats"
	"github.com/getsops/sops/v3/decrypt"
	"github.com/joho/godotenv"
	"sigs.k8s.io/yaml"
)

type objectMeta struct {
	Name        string            `json:"name,omitempty"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type secret struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   objectMeta        `json:"metadata"`
	Type       string            `json:"type,omitempty"`
	StringData map[string]string `json:"stringData,omitempty"`
	Data       map[string]string `json:"data,omitempty"`
}

type secretFrom struct {
	Files       []string   `json:"files,omitempty"`
	BinaryFiles []string   `json:"binaryFiles,omitempty"`
	Envs        []string   `json:"envs,omitempty"`
	Metadata    objectMeta `json:"metadata,omitempty"`
	Type        string     `json:"type,omitempty"`
}

type config struct {
	Files      []string     `json:"files,omitempty"`
	SecretFrom []secretFrom `json:"secretFrom,omitempty"`
}

func decryptFile(file string) ([]byte, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("error reading %q: %w", file, err)
	}
	return decrypt.DataWithFormat(b, formats.FormatForPath(file))
}

func keyPath(file string) (string, string, error) {
	parts := strings.Split(file, "=")
	switch len(parts) {
	case 1:
		return filepath.Base(file), file, nil
	case 2:
		return parts[0], parts[1], nil
	}
	return "", "", fmt.Errorf("invalid format in file generator %s", file)
}

func generate(raw []byte) (string, error) {
	var c config
	if err := yaml.Unmarshal(raw, &c); err != nil {
		return "", err
	}
	if c.Files == nil && c.SecretFrom == nil {
		return "", fmt.Errorf("missing the required 'files' or 'secretFrom' key")
	}
	var out bytes.Buffer
	for i, file := range c.Files {
		data, err := decryptFile(file)
		if err != nil {
			return "", fmt.Errorf("error decrypting file %q: %w", file, err)
		}
		out.Write(data)
		if i < len(c.Files)+len(c.SecretFrom)-1 {
			out.WriteString("\n---\n")
		}
	}
	for i, sf := range c.SecretFrom {
		s := secret{APIVersion: "v1", Kind: "Secret", Metadata: sf.Metadata, Type: sf.Type,
			StringData: map[string]string{}, Data: map[string]string{}}
		for _, f := range sf.Files {
			key, path, err := keyPath(f)
			if err != nil {
				return "", err
			}
			data, err := decryptFile(path)
			if err != nil {
				return "", err
			}
			s.StringData[key] = string(data)
		}
		for _, f := range sf.BinaryFiles {
			key, path, err := keyPath(f)
			if err != nil {
				return "", err
			}
			data, err := decryptFile(path)
			if err != nil {
				return "", err
			}
			s.Data[key] = base64.StdEncoding.EncodeToString(data)
		}
		for _, f := range sf.Envs {
			data, err := decryptFile(f)
			if err != nil {
				return "", err
			}
			env, err := godotenv.Unmarshal(string(data))
			if err != nil {
				return "", err
			}
			for k, v := range env {
				s.StringData[k] = v
			}
		}
		d, err := yaml.Marshal(&s)
		if err != nil {
			return "", err
		}
		out.Write(d)
		if i < len(c.SecretFrom)-1 {
			out.WriteString("---\n")
		}
	}
	return out.String(), nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: ksops CONFIG_FILE")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "unable to read in manifest: %s\n", os.Args[1])
		os.Exit(1)
	}
	result, err := generate(raw)
	if err != nil {
		fmt.Fprintf(os.Stderr, "unable to generate manifests: %v\n", err)
		os.Exit(1)
	}
	fmt.Print(result)
}
