package geo

func Sum(vs []Vec) Vec {
	total := Vec{}
	for _, v := range vs {
		total = Add(total, v)
	}
	return total
}
