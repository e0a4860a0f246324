package main

import (
	"fmt"

	"github.com/tongdao/tongdao/simulator"
)

// namespaceFactory builds the simulator of a new namespace of `sim serve`: the same
// protocols, limits and merchants file as the root, its own virtual clock at the asked
// start and its own seed.
func namespaceFactory(root simulator.Config, merchants []byte) func(simulator.NamespaceOptions) (*simulator.Server, error) {
	return func(o simulator.NamespaceOptions) (*simulator.Server, error) {
		protos, err := simProtocols()
		if err != nil {
			return nil, err
		}
		cfg := root
		cfg.Protocols, cfg.Seed, cfg.Start, cfg.Clock = protos, o.Seed, o.Start, nil
		s, err := simulator.New(cfg)
		if err != nil {
			return nil, err
		}
		if len(merchants) > 0 {
			if _, err := s.LoadMerchants(merchants); err != nil {
				return nil, fmt.Errorf("--merchants: %w", err)
			}
		}
		return s, nil
	}
}
