#ifndef VEC_H
#define VEC_H

typedef struct {
    double x;
    double y;
} vec2;

double vec2_dot(vec2 a, vec2 b);

#endif
