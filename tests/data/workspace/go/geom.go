package geo

import "math"

// Vec is a 2D vector.
type Vec struct {
	X, Y float64
}

// Len is the vector's length.
func (v Vec) Len() float64 {
	return math.Hypot(v.X, v.Y)
}

// Add returns a + b.
func Add(a, b Vec) Vec {
	return Vec{a.X + b.X, a.Y + b.Y}
}
