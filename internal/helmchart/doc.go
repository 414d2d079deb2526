// Package helmchart holds the checks of the Helm chart in deploy/helm: its
// test lints and renders the chart with Helm's own library (helm lint and
// helm template without the helm binary) and checks what it renders.
package helmchart
