package wallet

// SetCrash makes s stop, as if its process died, at where: "after-begin" (the op is stored,
// nothing posted) or "after-post" (the entry is applied, the final state never written).
func SetCrash(s *Service, where string) { s.crash = where }
