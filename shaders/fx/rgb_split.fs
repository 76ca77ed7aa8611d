/*{
    "ISFVSN": "2",
    "DESCRIPTION": "RGB split: red and blue pulled apart from green, along an angle or out from the centre.",
    "CREDIT": "performer",
    "CATEGORIES": ["Glitch", "performer"],
    "INPUTS": [
        {"NAME": "inputImage", "TYPE": "image"},
        {"NAME": "amount", "LABEL": "Amount", "TYPE": "float", "DEFAULT": 0.01, "MIN": 0.0, "MAX": 0.1},
        {"NAME": "angle", "LABEL": "Angle", "TYPE": "float", "DEFAULT": 0.0, "MIN": 0.0, "MAX": 6.2832},
        {"NAME": "radial", "LABEL": "Radial", "TYPE": "bool", "DEFAULT": false}
    ]
}*/

void main() {
    vec2 uv = isf_FragNormCoord;
    vec2 direction = radial ? (uv - 0.5) * 2.0 : vec2(cos(angle), sin(angle));
    vec2 offset = direction * amount * vec2(RENDERSIZE.y / RENDERSIZE.x, 1.0);
    float red = IMG_NORM_PIXEL(inputImage, uv + offset).r;
    vec4 middle = IMG_NORM_PIXEL(inputImage, uv);
    float blue = IMG_NORM_PIXEL(inputImage, uv - offset).b;
    gl_FragColor = vec4(red, middle.g, blue, middle.a);
}
