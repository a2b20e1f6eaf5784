from geo.shapes import square_area


def test_square_area_of_two():
    assert square_area(2) == 4
