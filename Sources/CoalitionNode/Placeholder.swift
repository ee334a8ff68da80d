// wired in below
