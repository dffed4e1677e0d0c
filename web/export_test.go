package web

// HoldRender takes one of the server's render slots until the returned
// function is called, so that a test can see what a busy server answers.
func (s *Server) HoldRender() func() {
	s.renders <- struct{}{}
	return func() { <-s.renders }
}
